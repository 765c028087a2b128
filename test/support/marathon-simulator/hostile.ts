/**
 * A hostile Marathon, for the simulator's controls (issue 15 point 5): event streams that never end an
 * event or a line, app definitions of any size, and `/v2/apps` bodies dripping a byte at a time.
 * Every writer honours back-pressure and yields to the event loop, so the simulator itself stays
 * responsive while it floods a client.
 */
import type { ServerResponse } from 'node:http';

/**
 * `endless-event`: `data:` lines, none ever followed by a blank line (one event that never ends);
 * `endless-line`: one `data:` line that never ends.
 */
export type FloodMode = 'endless-event' | 'endless-line';

const PIECE_BYTES = 64 * 1024;
/** Pieces written per event-loop turn, at most. */
const PIECES_PER_TURN = 16;

/** The bytes a flood repeats: whole `data:` lines, or line content without any line end. */
export function floodPiece(mode: FloodMode): Buffer {
  if (mode === 'endless-line') return Buffer.alloc(PIECE_BYTES, 0x79 /* y */);
  const line = `data: ${'x'.repeat(1017)}\n`; // 1 KiB per line
  return Buffer.from(line.repeat(PIECE_BYTES / line.length));
}

/**
 * Write `mode` to `res` until `active()` is false or the response closes: as fast as the client reads
 * (back-pressure), at most PIECES_PER_TURN pieces per event-loop turn. Returns the bytes written so far.
 */
export function flood(res: ServerResponse, mode: FloodMode, active: () => boolean): { written: () => number } {
  const piece = floodPiece(mode);
  let written = 0;
  const open = (): boolean => active() && !res.writableEnded && !res.destroyed;
  if (mode === 'endless-line' && open()) {
    res.write('event: api_post_event\r\ndata: ');
  }
  const pump = (): void => {
    for (let n = 0; n < PIECES_PER_TURN; n++) {
      if (!open()) return;
      written += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    setImmediate(pump);
  };
  pump();
  return { written: () => written };
}

/**
 * An app definition of about `bytes` bytes of JSON, in the `external` group with one ACME name, grown
 * either through a big label (`label`) or a big field elsewhere in the definition (`definition`).
 */
export function hugeApp(
  id: string,
  bytes: number,
  where: 'label' | 'definition',
  domain = 'huge.example.com',
): Record<string, unknown> {
  const filler = 'z'.repeat(Math.max(0, bytes - 300));
  return {
    id,
    labels: {
      HAPROXY_GROUP: 'external',
      MARATHON_ACME_0_DOMAIN: domain,
      ...(where === 'label' ? { FILLER: filler } : {}),
    },
    portDefinitions: [{ port: 10000, protocol: 'tcp', labels: {} }],
    ...(where === 'definition' ? { cmd: filler } : {}),
  };
}

/**
 * Answer with `body` one byte every `msPerByte` ms (Content-Length announced up front, as Marathon does).
 * Stops when the client goes away.
 */
export function drip(res: ServerResponse, body: Buffer, msPerByte: number, headers: Record<string, string>): void {
  res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed || i >= body.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(i, i + 1));
    i++;
  }, msPerByte);
  res.once('close', () => clearInterval(timer));
}
