/**
 * A streaming Server-Sent Events parser (HTML Living Standard §9.2.6 "Interpreting an event stream"),
 * pinned by 0.6.1's `test_sse_protocol.py` (reference/marathon-acme-behaviour.md §3.5, §9.6):
 *
 * - lines end at CRLF, LF or CR; a CRLF split across two chunks is ONE line end (the spec; 0.6.1 counted
 *   two — harmless there, but it would make results depend on chunking);
 * - works on bytes, so a UTF-8 sequence split across chunks is reassembled before decoding
 *   (CR and LF never occur inside a multi-byte UTF-8 sequence); a leading BOM is skipped;
 * - `data` lines are joined with `\n`; one leading space of a value is stripped; a line without `:` is
 *   a field with an empty value; `:` comments, `id`, `retry` and unknown fields are ignored;
 * - a blank line dispatches the pending event; without data lines it dispatches nothing, which makes
 *   Marathon's bare CRLF keep-alive (Jetty heartBeatPeriod, reference/marathon-api.md §2.2) harmless;
 * - the event type resets to `message` after each dispatch (an empty `event:` also means `message`).
 *
 * Bounded memory whatever the stream does (issue 15: a line or an event that never ends):
 * - a line longer than `maxLineLength` bytes — complete, or still pending — throws
 *   `SseLineTooLongError`; the caller aborts the connection (0.6.1: "SSE maximum line length exceeded");
 * - an event whose data lines add up to more than `maxEventBytes` (data lines without a blank line)
 *   throws `SseEventTooLargeError`; the caller aborts the connection;
 * - below those limits, only the first `keepBytes` of a line and of an event's data are KEPT: the rest
 *   is counted and dropped, and the event is dispatched with `truncated: true`. The daemon only needs
 *   the event type (an event just means "re-list"), so a large event costs no memory and no reconnect.
 *   The pending line is one growing buffer, never a list of chunks: a stream dripping one byte per
 *   packet costs one byte per byte.
 *
 * Data pending when the stream ends is discarded (never call anything on close).
 */

export class SseLineTooLongError extends Error {
  readonly code = 'SSE_LINE_TOO_LONG';
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`SSE maximum line length exceeded: ${length} > ${max}`);
    this.name = 'SseLineTooLongError';
  }
}

export class SseEventTooLargeError extends Error {
  readonly code = 'SSE_EVENT_TOO_LARGE';
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`SSE maximum event size exceeded: ${length} > ${max}`);
    this.name = 'SseEventTooLargeError';
  }
}

/** `truncated`: `data` holds only the first `keepBytes` of the event's data. */
export type SseEventHandler = (eventType: string, data: string, truncated: boolean) => void;

export interface SseLimits {
  /** Maximum bytes per line (default 16 MiB: 0.6.1 allowed 1 GiB; Marathon's events are one line each). */
  readonly maxLineLength?: number;
  /** Maximum bytes of data per event (default 16 MiB). */
  readonly maxEventBytes?: number;
  /** Bytes kept of a line and of an event's data (default 64 KiB). */
  readonly keepBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

export class SseParser {
  readonly maxLineLength: number;
  readonly maxEventBytes: number;
  private readonly keepBytes: number;
  /** The kept head of the current line: `line[0, kept)`; `lineLength` counts every byte of it. */
  private line: Buffer = Buffer.alloc(256);
  private kept = 0;
  private lineLength = 0;
  /** The previous chunk ended with CR: a leading LF of the next chunk belongs to that line end. */
  private afterCR = false;
  /** Bytes seen before the first line is known not to start with a BOM (at most 2). */
  private head: number[] | undefined = [];
  private eventType = '';
  private data: string[] = [];
  private dataKept = 0;
  private eventBytes = 0;
  private truncated = false;

  /** @param onEvent called synchronously for each dispatched event, in order. */
  constructor(
    private readonly onEvent: SseEventHandler,
    limits: SseLimits = {},
  ) {
    this.maxLineLength = limits.maxLineLength ?? 16 * 1024 * 1024;
    this.maxEventBytes = limits.maxEventBytes ?? 16 * 1024 * 1024;
    this.keepBytes = Math.max(1, limits.keepBytes ?? 64 * 1024);
  }

  /** Feed one chunk. Throws `SseLineTooLongError` / `SseEventTooLargeError` (the parser is then unusable). */
  feed(chunk: Buffer | Uint8Array | string): void {
    let buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.head !== undefined) {
      buf = this.skipBom(buf);
      if (buf.length === 0) return;
    }
    let start = 0;
    if (this.afterCR && buf[0] === LF) start = 1;
    this.afterCR = false;
    for (let i = start; i < buf.length; i++) {
      const b = buf[i];
      if (b !== CR && b !== LF) continue;
      this.append(buf, start, i);
      this.completeLine();
      if (b === CR) {
        if (i + 1 < buf.length) {
          if (buf[i + 1] === LF) i++;
        } else {
          this.afterCR = true;
        }
      }
      start = i + 1;
    }
    if (start < buf.length) {
      this.append(buf, start, buf.length);
      if (this.lineLength > this.maxLineLength) throw new SseLineTooLongError(this.lineLength, this.maxLineLength);
    }
  }

  /** Until 3 bytes are known, hold them back: a leading BOM (possibly split) is dropped. */
  private skipBom(buf: Buffer): Buffer {
    const head = this.head!;
    let i = 0;
    while (head.length < 3 && i < buf.length && buf[i] === BOM[head.length]) head.push(buf[i++]!);
    if (head.length === 3) {
      this.head = undefined;
      return buf.subarray(i);
    }
    if (i === buf.length) return Buffer.alloc(0); // all of it may still be a BOM
    this.head = undefined;
    return head.length === 0 ? buf : Buffer.concat([Buffer.from(head), buf.subarray(i)]);
  }

  /** Count `buf[from, to)` into the current line, keeping at most `keepBytes` of it. */
  private append(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.lineLength += n;
    const room = this.keepBytes - this.kept;
    if (room <= 0) return;
    const take = Math.min(room, n);
    if (this.kept + take > this.line.length) {
      const grown = Buffer.alloc(Math.min(this.keepBytes, Math.max(this.line.length * 2, this.kept + take)));
      this.line.copy(grown, 0, 0, this.kept);
      this.line = grown;
    }
    buf.copy(this.line, this.kept, from, from + take);
    this.kept += take;
  }

  private completeLine(): void {
    const length = this.lineLength;
    if (length > this.maxLineLength) throw new SseLineTooLongError(length, this.maxLineLength);
    const text = this.line.toString('utf8', 0, this.kept);
    const cut = length > this.kept;
    this.kept = 0;
    this.lineLength = 0;
    this.processLine(text, length, cut);
  }

  private processLine(line: string, length: number, cut: boolean): void {
    if (length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 0x3a /* : */) return; // comment
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.addData(value, length, cut);
    // id, retry and unknown fields are ignored (Marathon sends none; no Last-Event-ID support).
  }

  private addData(value: string, lineLength: number, cut: boolean): void {
    this.eventBytes += lineLength;
    if (this.eventBytes > this.maxEventBytes) throw new SseEventTooLargeError(this.eventBytes, this.maxEventBytes);
    if (cut) this.truncated = true;
    const room = this.keepBytes - this.dataKept;
    if (room <= 0) {
      this.truncated = true;
      this.data.push('');
      return;
    }
    const kept = value.length > room ? value.slice(0, room) : value;
    if (kept.length < value.length) this.truncated = true;
    this.dataKept += kept.length;
    this.data.push(kept);
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const type = this.eventType === '' ? 'message' : this.eventType;
    const data = this.data.join('\n');
    const truncated = this.truncated;
    this.eventType = '';
    this.data = [];
    this.dataKept = 0;
    this.eventBytes = 0;
    this.truncated = false;
    this.onEvent(type, data, truncated);
  }
}
