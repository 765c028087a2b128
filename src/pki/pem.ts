/**
 * PEM text (RFC 7468): splitting it into blocks, strictly, so a truncated or corrupted file is an error
 * rather than silently merged into the next block.
 *
 * Contract: pure; failures throw `AppError` PEM_INVALID with `details.reason` (and the cause, if any).
 */
import { AppError } from '../lib/errors.js';

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, ...) and its text, ending in exactly one newline. */
export interface PemBlock {
  readonly label: string;
  readonly pem: string;
}

const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Split text into PEM blocks, each normalised (LF, 64-column base64, one trailing newline). Text between
 * blocks is ignored (openssl writes `subject=` lines and "Bag Attributes"), but a block that is not
 * closed, is closed with another label, or whose body is not base64 throws `PEM_INVALID` — that is
 * what a truncated or corrupted file looks like.
 */
export function splitPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: { label: string; body: string[] } | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(line);
    const end = /^-----END ([A-Z0-9 ]+)-----$/.exec(line);
    if (open === null) {
      if (begin) open = { label: begin[1]!, body: [] };
      else if (end) throw pemError('END line without BEGIN');
      continue;
    }
    if (begin) throw pemError('BEGIN line inside a block');
    if (end) {
      if (end[1] !== open.label) throw pemError('END label differs from BEGIN label');
      blocks.push(closeBlock(open.label, open.body));
      open = null;
      continue;
    }
    if (!BASE64_LINE.test(line)) throw pemError('PEM body is not base64');
    open.body.push(line);
  }
  if (open !== null) throw pemError('PEM block not terminated (truncated?)');
  return blocks;
}

function closeBlock(label: string, body: string[]): PemBlock {
  const b64 = body.join('');
  if (b64.length === 0 || b64.length % 4 !== 0) throw pemError('PEM body has a wrong length (truncated?)');
  const wrapped = b64.match(/.{1,64}/g)!.join('\n');
  return { label, pem: `-----BEGIN ${label}-----\n${wrapped}\n-----END ${label}-----\n` };
}

/** An `AppError` PEM_INVALID with `reason` in its details. */
export function pemError(reason: string, cause?: unknown): AppError {
  return new AppError('PEM_INVALID', reason, { cause, details: { reason } });
}

/** `text` with a trailing newline (PEM blocks in a bundle must each end in one). */
export function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
