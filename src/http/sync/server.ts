/**
 * The agents' bundle feed (`--sync-listen`): HTTPS only, every route needs a token with the `sync` scope
 * (the feed carries private keys). Never served on the plain `--listen` port.
 *
 *   GET  /sync/v1/snapshot[?epoch=E&since=V&wait=S]  JSON `SyncSnapshot`; with `epoch` equal to the feed's
 *        and `since` ≥ its version, waits up to `wait` seconds (≤ 60) for a change (long-poll)
 *   POST /sync/v1/bundles   body `{"names": [...]}` (≤ 200 names) → `{"bundles": {"<name>": "<pem>" | null}}`
 *   GET  /sync/v1/default   the daemon's default.pem (404 when it has none)
 *
 * 401 without a known token, 403 without the scope, 503 before the first scan is in (never an empty list
 * that an agent could mistake for "every certificate removed"). Tokens and keys are never logged.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/logger.js';
import { authorize, type TokenEntry } from '../../lib/tokens.js';
import type { SyncFeed } from './feed.js';
import { listenOn } from '../../lib/listen.js';

/** The most names one bundles request may ask for, and the longest long-poll. */
export const MAX_NAMES_PER_REQUEST = 200;
export const MAX_WAIT_SECONDS = 60;
const MAX_BODY_BYTES = 128 * 1024;

export interface SyncReader {
  /** The bundle text of each name (null: not served now). */
  readBundles(names: readonly string[]): Promise<Map<string, string | null>>;
  /** default.pem's text, or null. */
  readDefault(): Promise<string | null>;
}

export interface SyncServerOptions {
  readonly feed: SyncFeed;
  readonly reader: SyncReader;
  readonly tokens: readonly TokenEntry[];
  /** PEM key and certificate chain of the server. */
  readonly tls: { readonly keyPem: string; readonly certPem: string };
  readonly logger: Logger;
}

export class SyncServer {
  private server: Server | undefined;
  private readonly log: Logger;
  private readonly closing = new AbortController();

  constructor(private readonly o: SyncServerOptions) {
    this.log = o.logger.child({ component: 'sync' });
  }

  /** Listen; rejects (EADDRINUSE, EACCES) so the caller can exit with a clear error. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    const server = createServer(
      { key: this.o.tls.keyPem, cert: this.o.tls.certPem, minVersion: 'TLSv1.2' },
      (req, res) => {
        this.route(req, res).catch((err: unknown) => {
          this.log.error(
            { err: err instanceof Error ? err.message : String(err), path: req.url },
            'sync request failed',
          );
          if (!res.headersSent) json(res, 500, { error: 'internal error' });
          else res.destroy();
        });
      },
    );
    server.headersTimeout = 10_000;
    server.requestTimeout = (MAX_WAIT_SECONDS + 30) * 1000;
    server.keepAliveTimeout = 5000;
    this.server = server;
    await listenOn(server, port, host);
    const addr = server.address() as AddressInfo;
    this.log.info({ address: addr.address, port: addr.port }, 'sync feed listening');
    return addr;
  }

  /** Ends the long-polls (each answers its snapshot) and closes the server. */
  async close(): Promise<void> {
    this.closing.abort();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sync.invalid');
    const method = req.method ?? 'GET';
    const known = ['/sync/v1/snapshot', '/sync/v1/bundles', '/sync/v1/default'];
    if (!known.includes(url.pathname)) return json(res, 404, { error: 'not found' });
    const auth = authorize(this.o.tokens, req.headers.authorization, 'sync');
    if (!auth.ok) {
      this.log.warn({ status: auth.status, path: url.pathname }, 'sync request refused');
      return json(
        res,
        auth.status,
        { error: auth.message },
        auth.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
      );
    }
    if (!this.o.feed.ready) return json(res, 503, { error: 'the first scan of the certificates is not done yet' });
    if (url.pathname === '/sync/v1/bundles') {
      if (method !== 'POST') return json(res, 405, { error: 'method not allowed' });
      return this.bundles(req, res, auth.name);
    }
    if (method !== 'GET') return json(res, 405, { error: 'method not allowed' });
    if (url.pathname === '/sync/v1/default') {
      const text = await this.o.reader.readDefault();
      if (text === null) return json(res, 404, { error: 'no default.pem' });
      return pem(res, text);
    }
    return this.snapshot(url, res);
  }

  private async snapshot(url: URL, res: ServerResponse): Promise<void> {
    const since = Number(url.searchParams.get('since') ?? '0');
    const wait = Math.min(MAX_WAIT_SECONDS, Math.max(0, Number(url.searchParams.get('wait') ?? '0') || 0));
    const epoch = url.searchParams.get('epoch') ?? undefined;
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    res.once('close', onClose);
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    const snap = await this.o.feed.waitForChange(epoch, Number.isFinite(since) ? since : 0, wait * 1000, abort.signal);
    this.closing.signal.removeEventListener('abort', onClose);
    if (res.destroyed) return;
    json(res, 200, snap);
  }

  private async bundles(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const names = parseNames(await readBody(req));
    if (names === null)
      return json(res, 400, { error: `expected {"names": [...]} with at most ${MAX_NAMES_PER_REQUEST} names` });
    const found = await this.o.reader.readBundles(names);
    this.log.debug({ token, count: names.length }, 'bundles sent');
    return json(res, 200, { bundles: Object.fromEntries(found) });
  }
}

/** `{"names": [string, ...]}` with at most MAX_NAMES_PER_REQUEST names, else null. */
export function parseNames(body: string | null): string[] | null {
  if (body === null) return null;
  try {
    const v = JSON.parse(body) as { names?: unknown };
    if (!Array.isArray(v.names) || v.names.length > MAX_NAMES_PER_REQUEST) return null;
    if (!v.names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 255)) return null;
    return [...new Set(v.names as string[])];
  } catch {
    return null;
  }
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json', JSON.stringify(body), extra);
}

function pem(res: ServerResponse, text: string): void {
  send(res, 200, 'application/x-pem-file', text);
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...extra });
  res.end(buf);
}
