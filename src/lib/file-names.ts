/**
 * Defensive file-name validation (generic: no domain knowledge). Certificate names are validated and normalised by the sources
 * already; the store checks again because a name becomes a path (`certs/<name>.pem`) and a mistake
 * there could write outside the storage directory or hide a file from HAProxy.
 */
import { AppError } from './errors.js';

/** Longest stem so that `<name>.pem` and `<name>.<timestamp>.pem` stay under NAME_MAX (255). */
const MAX_STEM = 220;

/**
 * Throws `INVALID_NAME` unless `name` is a safe file stem: non-empty, at most 220 characters, no `/`
 * or `\`, no NUL or other control characters, not starting with `.` (hidden files, `.`/`..`).
 */
export function assertSafeName(name: unknown): asserts name is string {
  const reason = unsafeReason(name);
  if (reason !== null) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw new AppError('INVALID_NAME', 'certificate name is not a safe file name', { details: { reason, name: shown } });
  }
}

/** The reason `name` is unsafe, or null when it is safe. */
export function unsafeReason(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'empty';
  if (name.length > MAX_STEM) return 'too long';
  if (name.startsWith('.')) return 'starts with a dot';
  if (/[/\\]/.test(name)) return 'contains a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  return null;
}
