/**
 * Defensive file-name validation (generic: no domain knowledge). Certificate names are validated and
 * normalised by the sources already; the store checks again because a name becomes a path
 * (`certs/<name>.pem`) and a mistake there could write outside the storage directory or hide a file
 * from HAProxy.
 */
import { createHash } from 'node:crypto';
import { AppError } from './errors.js';

/** NAME_MAX on every Linux file system, in bytes. */
const NAME_MAX = 255;

/**
 * The longest stem of a `<stem>.pem` file, in bytes: 251. The domain's name rule (MAX_CERT_NAME_LENGTH)
 * is the same limit, so every valid certificate name passes `assertSafeName` (a test keeps them equal).
 */
export const MAX_PEM_STEM_BYTES = NAME_MAX - '.pem'.length;

/**
 * Throws `INVALID_NAME` unless `name` is a safe file stem: non-empty, at most MAX_PEM_STEM_BYTES (251)
 * bytes so `<name>.pem` fits NAME_MAX — the same limit as name validation — no `/` or `\`, no NUL or
 * other control characters, not starting with `.` (hidden files, `.`/`..`).
 */
export function assertSafeName(name: unknown): asserts name is string {
  const reason = unsafeReason(name);
  if (reason !== null) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw new AppError('INVALID_NAME', 'certificate name is not a safe file name', {
      details: { reason, name: shown },
    });
  }
}

/** Whether `name` is a safe file stem (what `assertSafeName` accepts), without throwing. */
export function isSafeName(name: unknown): name is string {
  return unsafeReason(name) === null;
}

/** The reason `name` is unsafe, or null when it is safe. */
function unsafeReason(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_PEM_STEM_BYTES) return 'too long';
  if (name.startsWith('.')) return 'starts with a dot';
  if (/[/\\]/.test(name)) return 'contains a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  return null;
}

/**
 * The file stem of a certificate name: a wildcard `*.<base>` is written as `_.<base>`, everything else
 * as it is. `*` is a glob character in every shell and script that handles these files; `_` can never
 * start a valid certificate name (names are RFC 1123 labels: letters, digits, inner hyphens), so the
 * mapping is one-to-one and never collides with another name's file. HAProxy picks certificates by the
 * names inside them (SNI against CN/SAN), not by file name, so the file name does not matter to it.
 */
export function fileStem(name: string): string {
  return name.startsWith('*.') ? `_.${name.slice(2)}` : name;
}

/** The certificate name of a file stem: `_.<base>` → `*.<base>` (the inverse of `fileStem`). */
export function nameOfStem(stem: string): string {
  return stem.startsWith('_.') ? `*.${stem.slice(2)}` : stem;
}

/**
 * `<stem><suffix>` when it fits NAME_MAX; otherwise the stem is shortened and made unique again with
 * a hash of the whole stem: `<stem prefix>.<sha256(stem), 16 hex><suffix>`. For file names derived
 * from a certificate name plus a longer suffix than `.pem` (`.json`, `.<timestamp>.pem`).
 */
export function fitFileName(stem: string, suffix: string): string {
  const whole = `${stem}${suffix}`;
  if (Buffer.byteLength(whole, 'utf8') <= NAME_MAX) return whole;
  const tag = `.${createHash('sha256').update(stem, 'utf8').digest('hex').slice(0, 16)}${suffix}`;
  let prefix = stem.slice(0, Math.max(0, NAME_MAX - tag.length));
  while (Buffer.byteLength(prefix + tag, 'utf8') > NAME_MAX) prefix = prefix.slice(0, -1);
  return `${prefix}${tag}`;
}
