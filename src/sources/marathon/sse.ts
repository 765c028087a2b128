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
 * - the event type resets to `message` after each dispatch (an empty `event:` also means `message`);
 * - a complete line, or the pending partial line, longer than `maxLineLength` bytes throws
 *   `SseLineTooLongError`: the caller aborts the connection (0.6.1: "SSE maximum line length exceeded").
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

export type SseEventHandler = (eventType: string, data: string) => void;

const CR = 0x0d;
const LF = 0x0a;

export class SseParser {
  /** Parts of the current incomplete line (bytes), and their total length. */
  private parts: Buffer[] = [];
  private pendingLength = 0;
  /** The previous chunk ended with CR: a leading LF of the next chunk belongs to that line end. */
  private afterCR = false;
  private atStart = true;
  private eventType = '';
  private data: string[] = [];

  /**
   * @param onEvent called synchronously for each dispatched event, in order.
   * @param maxLineLength maximum bytes per line (default 16 MiB: Marathon events are single-line JSON,
   *   and an `api_post_event` carries a whole app definition).
   */
  constructor(
    private readonly onEvent: SseEventHandler,
    readonly maxLineLength = 16 * 1024 * 1024,
  ) {}

  /** Feed one chunk. Throws `SseLineTooLongError` (the parser is then unusable). */
  feed(chunk: Buffer | Uint8Array | string): void {
    let buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) return;
    if (this.atStart) buf = this.skipBom(buf);
    let start = 0;
    if (this.afterCR && buf[0] === LF) start = 1;
    this.afterCR = false;
    for (let i = start; i < buf.length; i++) {
      const b = buf[i];
      if (b !== CR && b !== LF) continue;
      this.completeLine(buf.subarray(start, i));
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
      const rest = buf.subarray(start);
      this.pendingLength += rest.length;
      if (this.pendingLength > this.maxLineLength)
        throw new SseLineTooLongError(this.pendingLength, this.maxLineLength);
      // Copy: the caller may reuse its buffer.
      this.parts.push(Buffer.from(rest));
    }
  }

  private skipBom(buf: Buffer): Buffer {
    // Wait until 3 bytes are known before deciding (a BOM could itself be split).
    const head = Buffer.concat([...this.parts, buf]);
    if (head.length < 3 && head.every((b, i) => b === [0xef, 0xbb, 0xbf][i])) {
      this.parts = [Buffer.from(head)];
      this.pendingLength = 0;
      return Buffer.alloc(0);
    }
    this.atStart = false;
    this.parts = [];
    this.pendingLength = 0;
    return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
  }

  private completeLine(tail: Buffer): void {
    let line: Buffer;
    if (this.parts.length === 0) {
      line = tail;
    } else {
      this.parts.push(tail);
      line = Buffer.concat(this.parts);
      this.parts = [];
      this.pendingLength = 0;
    }
    if (line.length > this.maxLineLength) throw new SseLineTooLongError(line.length, this.maxLineLength);
    this.processLine(line.toString('utf8'));
  }

  private processLine(line: string): void {
    if (line.length === 0) {
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
    else if (field === 'data') this.data.push(value);
    // id, retry and unknown fields are ignored (Marathon sends none; no Last-Event-ID support).
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const type = this.eventType === '' ? 'message' : this.eventType;
    const data = this.data.join('\n');
    this.eventType = '';
    this.data = [];
    this.onEvent(type, data);
  }
}
