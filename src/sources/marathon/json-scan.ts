/**
 * Byte-level helpers of the streaming `/v2/apps` reader (apps-stream.ts): the end of a JSON string
 * found with a native search, the likely app boundary for the batch shortcut, and the head of an
 * element kept to name an oversized app. Pure; CR/LF/quotes/brackets are ASCII and never occur inside
 * a multi-byte UTF-8 sequence, so working on bytes is safe.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ELEMENT_SEPARATOR = Buffer.from('},{');
const APP_SEPARATOR = Buffer.from('},{"id":"');
/** Batches of about this many bytes: fewer objects alive at once when the GC runs (less promotion). */
export const BATCH_BYTES = 16 * 1024;
/** How much of an oversized element is kept to find its `id`. */
export const HEAD_BYTES = 512;

/**
 * Inside a string from `from` (not right after a backslash): the index of the closing quote, or -1 when
 * the string goes on past the chunk, -2 when it does and the chunk ends with an unpaired backslash.
 */
export function stringEnd(chunk: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const q = chunk.indexOf(QUOTE, at);
    if (q < 0) return trailingBackslashes(chunk, from, chunk.length) % 2 === 1 ? -2 : -1;
    if (trailingBackslashes(chunk, from, q) % 2 === 0) return q;
    at = q + 1; // an escaped quote
  }
}

/** How many backslashes end `chunk[from, to)`. */
function trailingBackslashes(chunk: Buffer, from: number, to: number): number {
  let n = 0;
  while (to - n - 1 >= from && chunk[to - n - 1] === BACKSLASH) n++;
  return n;
}

/** The first HEAD_BYTES of a list of buffers (a view when the first buffer is long enough). */
export function headOf(parts: readonly Buffer[]): Buffer {
  const first = parts[0];
  if (first === undefined) return Buffer.alloc(0);
  if (first.length >= HEAD_BYTES || parts.length === 1) return first.subarray(0, HEAD_BYTES);
  let n = 0;
  let total = 0;
  while (n < parts.length && total < HEAD_BYTES) total += parts[n++]!.length;
  return Buffer.concat(parts.slice(0, n)).subarray(0, HEAD_BYTES);
}

/**
 * The last likely app boundary (`}` of `},{`) within about BATCH_BYTES after `from`, else in the whole
 * chunk; -1 if none. Marathon writes `id` first in every app, so `},{"id":"` is preferred: a bare
 * `},{` is also common between port mappings or health checks, deeper inside an app.
 */
export function lastCandidate(chunk: Buffer, from: number): number {
  const limit = Math.min(from + BATCH_BYTES, chunk.length);
  let cut = chunk.lastIndexOf(APP_SEPARATOR, limit);
  if (cut < from) cut = chunk.lastIndexOf(APP_SEPARATOR);
  if (cut < from) cut = chunk.lastIndexOf(ELEMENT_SEPARATOR, limit);
  if (cut < from) cut = chunk.lastIndexOf(ELEMENT_SEPARATOR);
  return cut;
}
