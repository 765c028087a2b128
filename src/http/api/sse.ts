/**
 * `GET /api/v1/events`: Server-Sent Events of lifecycle events as they happen. Each event is
 * `id: <id>\nevent: <type>\ndata: <json>\n\n`; a comment line every 15 s keeps proxies from closing the stream.
 * `?name=<certificate>` keeps one certificate's events. A client that does not read (more than 1 MiB
 * buffered) is dropped rather than buffered without bound; every stream ends when the server closes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A lifecycle event as the stream sends it. */
export interface StreamEvent {
  readonly id: number;
  readonly type: string;
  readonly name: string;
}

export interface EventFeed {
  subscribe(fn: (e: StreamEvent) => void): () => void;
}

const KEEPALIVE_MS = 15_000;
const MAX_BUFFERED = 1024 * 1024;

export function serveEvents(req: FastifyRequest, reply: FastifyReply, feed: EventFeed, closing: AbortSignal): void {
  const only = (req.query as Record<string, unknown> | undefined)?.name;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(': marathon-acme lifecycle events\n\n');
  // An event stream outlives the request timeouts: only the keep-alive comments and the client end it.
  req.raw.socket.setTimeout(0);
  const unsubscribe = feed.subscribe((e) => {
    if (typeof only === 'string' && e.name !== only) return;
    if (res.writableLength > MAX_BUFFERED) return end();
    res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  });
  const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  let ended = false;
  function end(): void {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(keepalive);
    closing.removeEventListener('abort', end);
    res.end();
  }
  closing.addEventListener('abort', end, { once: true });
  res.on('close', end);
}
