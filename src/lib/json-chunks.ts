/**
 * JSON text of a large object in chunks, for responses of thousands of records: the object's own
 * fields are serialised as `JSON.stringify` does, and one field given as an iterable is serialised one
 * item at a time, so its items can be built on demand and die young instead of all being held (and the
 * whole text joined and copied) at once.
 *
 * Contract: pure. `jsonChunks(o, key, items).join('')` equals `JSON.stringify({ ...o, [key]: [...items] })`
 * when `key` is a field of `o` (its position is kept; `o[key]` itself is ignored), for objects whose
 * fields are JSON values (fields that are undefined or functions are left out, as `JSON.stringify`
 * does). Every chunk but the last is at least `chunkChars` long. Unlike `JSON.stringify`, a `toJSON` of
 * `o` itself is not called, and a field's or item's `toJSON` is given '' instead of its key or index
 * (Dates, the only ones /status holds, ignore it).
 */

/** About the size of a socket write: big enough that a chunk's overhead does not matter. */
export const CHUNK_CHARS = 64 * 1024;

export function jsonChunks(
  o: Readonly<Record<string, unknown>>,
  key: string,
  items: Iterable<unknown>,
  chunkChars = CHUNK_CHARS,
): string[] {
  const chunks: string[] = [];
  let buf = '{';
  let first = true;
  const push = (s: string): void => {
    buf += s;
    if (buf.length >= chunkChars) {
      chunks.push(buf);
      buf = '';
    }
  };
  for (const [k, v] of Object.entries(o)) {
    if (k === key) {
      push(`${first ? '' : ','}${JSON.stringify(k)}:[`);
      let firstItem = true;
      for (const item of items) {
        // As in an array, an item that has no JSON text (undefined, a function) is null.
        const text = JSON.stringify(item) ?? 'null';
        push(firstItem ? text : `,${text}`);
        firstItem = false;
      }
      push(']');
      first = false;
      continue;
    }
    const text = JSON.stringify(v);
    if (text === undefined) continue;
    push(`${first ? '' : ','}${JSON.stringify(k)}:${text}`);
    first = false;
  }
  buf += '}';
  chunks.push(buf);
  return chunks;
}
