/**
 * JSON text of a large object in chunks, for responses of thousands of records: the object's own
 * fields are serialised as `JSON.stringify` does, and one field given as an iterable is serialised one
 * item at a time, so its items can be built on demand and die young instead of all being held (and the
 * whole text joined and copied) at once.
 *
 * Contract: pure. `[...jsonChunks(o, key, items)].join('')` equals `JSON.stringify({ ...o, [key]: [...items] })`
 * when `key` is a field of `o` (its position is kept; `o[key]` itself is ignored), for objects whose
 * fields are JSON values (fields that are undefined or functions are left out, as `JSON.stringify`
 * does). Every chunk but the last is at least `chunkChars` long. Unlike `JSON.stringify`, a `toJSON` of
 * `o` itself is not called, and a field's or item's `toJSON` is given '' instead of its key or index
 * (Dates, the only ones /status holds, ignore it).
 */

/** About the size of a socket write: big enough that a chunk's overhead does not matter. */
export const CHUNK_CHARS = 64 * 1024;

/** Chunks are built as they are read: a caller that writes each out at once holds one chunk at a time. */
export function* jsonChunks(
  o: Readonly<Record<string, unknown>>,
  key: string,
  items: Iterable<unknown>,
  chunkChars = CHUNK_CHARS,
): Generator<string> {
  let buf = '{';
  let first = true;
  for (const [k, v] of Object.entries(o)) {
    if (k === key) {
      buf += `${first ? '' : ','}${JSON.stringify(k)}:[`;
      first = false;
      let firstItem = true;
      for (const item of items) {
        // As in an array, an item that has no JSON text (undefined, a function) is null.
        const text = JSON.stringify(item) ?? 'null';
        buf += firstItem ? text : `,${text}`;
        firstItem = false;
        if (buf.length >= chunkChars) {
          yield buf;
          buf = '';
        }
      }
      buf += ']';
    } else {
      const text = JSON.stringify(v);
      if (text === undefined) continue;
      buf += `${first ? '' : ','}${JSON.stringify(k)}:${text}`;
      first = false;
    }
    if (buf.length >= chunkChars) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}}`;
}
