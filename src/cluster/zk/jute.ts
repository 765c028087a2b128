/**
 * The subset of ZooKeeper's wire encoding ("jute") our client needs: big-endian ints and longs, booleans
 * as one byte, strings and buffers as an int length (-1 = null) followed by the bytes, vectors as an int
 * count followed by the items. Frames on the socket are an int length followed by that many bytes.
 *
 * Contract: `JuteReader` throws `RangeError` when a field runs past the end of its buffer (a corrupt or
 * truncated reply), never reads outside it; `splitFrames` returns every COMPLETE frame in the buffer, in
 * order, and the unconsumed rest (a reply and a watch event often arrive in one TCP segment).
 */

/** Largest frame we accept from a server (ZooKeeper's own default jute.maxbuffer is 1 MiB). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export class JuteWriter {
  private readonly parts: Buffer[] = [];

  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }

  long(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }

  bool(v: boolean): this {
    this.parts.push(Buffer.from([v ? 1 : 0]));
    return this;
  }

  buffer(v: Buffer | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.parts.push(v);
    return this;
  }

  string(v: string | null): this {
    return this.buffer(v === null ? null : Buffer.from(v, 'utf8'));
  }

  strings(v: readonly string[]): this {
    this.int(v.length);
    for (const s of v) this.string(s);
    return this;
  }

  /** The bytes written so far. */
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** The bytes written so far, prefixed with their length: one frame for the socket. */
  frame(): Buffer {
    const body = this.bytes();
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

export class JuteReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError('ZooKeeper reply truncated');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  long(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }

  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }

  buffer(): Buffer | null {
    const n = this.int();
    if (n === -1) return null;
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  string(): string | null {
    const b = this.buffer();
    return b === null ? null : b.toString('utf8');
  }

  strings(): string[] {
    const n = this.int();
    if (n < 0) return [];
    const out: string[] = [];
    for (let i = 0; i < n; i += 1) out.push(this.string() ?? '');
    return out;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/**
 * Every complete length-prefixed frame at the start of `buf`, and the bytes after them (an incomplete
 * frame, kept for the next read). Throws RangeError for a negative or oversized length (a broken stream).
 */
export function splitFrames(buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let pos = 0;
  while (buf.length - pos >= 4) {
    const len = buf.readInt32BE(pos);
    if (len < 0 || len > MAX_FRAME_BYTES) throw new RangeError(`bad ZooKeeper frame length ${len}`);
    if (buf.length - pos - 4 < len) break;
    frames.push(buf.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return { frames, rest: buf.subarray(pos) };
}
