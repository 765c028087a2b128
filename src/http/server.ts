/**
 * The daemon's HTTP server (`--listen`, default :8000), node:http with a fixed route table:
 *   GET /.well-known/acme-challenge/ping   200 application/json {"message": "pong"} (0.6.1, exact)
 *   GET /.well-known/acme-challenge/<tok>  200 text/plain key authorization, else 404 (0.6.1)
 *   GET /health                            200/503 JSON checks (0.6.1 answered a permanent 501)
 *   GET /metrics                           Prometheus text
 *   GET /status                            JSON: every certificate, why it exists, its state
 *   POST /removals/release                 release removals held by the mass-removal guard (token: write)
 *   GET /ui/, /ui/cert/<name>              the status page (ui/index.ts); GET / and /ui redirect to /ui/
 * Every state-changing route needs `Authorization: Bearer <token>` with its scope (lib/tokens.ts): 401 without a
 * known token, 403 without the scope or when no tokens are configured. A browser cannot send that header
 * cross-origin without a CORS preflight, which is never granted, so a cross-origin POST never acts.
 * With `readAuth`, /status needs a `read` token too. Tokens are never logged.
 * Other methods on these paths: 405; other paths: 404. HEAD is answered like GET without a body.
 * marathon-lb routes only /.well-known/acme-challenge/ to us, so the rest is reachable in-cluster only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/logger.js';
import { authorize, type Scope, type TokenEntry } from '../lib/tokens.js';
import type { Health } from './health.js';
import { matchUiRequest, renderUi, type UiRequest, type UiStatus } from './ui/index.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** RFC 8555 §8.3: the token is base64url; anything else is not ours. */
const TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;
/** Whether the `/api/v1` routes (events stream, history, actions) are served: the status page uses them then. */
const UI_USES_API = false;

export interface HttpHandlers {
  /** Key authorization for a token, or undefined (→ 404). Asynchronous: the answer may live in a shared store. */
  challenge(token: string): Promise<string | undefined>;
  health(): Promise<Health>;
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): unknown;
  releaseRemovals(): string[];
}

/** Who may call what: the parsed tokens file, and whether reads need a token. */
export interface HttpAuth {
  readonly tokens: readonly TokenEntry[];
  readonly readAuth: boolean;
}

export class HttpServer {
  private server: Server | undefined;
  private readonly log: Logger;

  constructor(
    private readonly handlers: HttpHandlers,
    logger: Logger,
    private readonly auth: HttpAuth = { tokens: [], readAuth: false },
  ) {
    this.log = logger.child({ component: 'http' });
  }

  /** Listen; rejects (e.g. EADDRINUSE, EACCES) so the caller can exit with a clear error. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.log.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'request failed');
        if (!res.headersSent)
          send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }), req.method === 'HEAD');
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.log.info({ address: addr.address, port: addr.port }, 'listening');
    return addr;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  }

  /** The token check of one request; answers 401/403 itself and returns false when refused. */
  private allowed(req: IncomingMessage, res: ServerResponse, scope: Scope, head: boolean): boolean {
    const r = authorize(this.auth.tokens, req.headers.authorization, scope);
    if (r.ok) {
      this.log.info({ token: r.name, method: req.method, path: req.url, scope }, 'authorized request');
      return true;
    }
    this.log.warn({ status: r.status, method: req.method, path: req.url, scope }, 'request refused');
    const headers: Record<string, string> = r.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    send(res, r.status, 'application/json', JSON.stringify({ error: r.message }), head, headers);
    return false;
  }

  /** The status page: open like /status; with read auth the page loads empty and its data needs the token. */
  private async ui(req: IncomingMessage, res: ServerResponse, ui: UiRequest): Promise<void> {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain', 'Method Not Allowed\n', false);
    const { readAuth } = this.auth;
    const withData = !readAuth || (ui.kind !== 'redirect' && ui.fragment);
    if (readAuth && withData && !this.allowed(req, res, 'read', head)) return;
    const data = withData
      ? { status: this.handlers.status() as UiStatus, health: await this.handlers.health(), now: Date.now() }
      : { now: Date.now() };
    const page = renderUi(ui, data, { api: UI_USES_API, readAuth, ifNoneMatch: req.headers['if-none-match'] });
    return send(res, page.status, page.contentType, page.body, head, page.headers);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const isGet = method === 'GET' || head;
    if (path.startsWith(CHALLENGE_PREFIX)) {
      if (!isGet) return send(res, 405, 'text/plain', 'Method Not Allowed\n', false);
      const token = path.slice(CHALLENGE_PREFIX.length);
      if (token === 'ping') return send(res, 200, 'application/json', '{"message": "pong"}', head);
      const answer = TOKEN_RE.test(token) ? await this.handlers.challenge(token) : undefined;
      this.log.debug(
        { token, found: answer !== undefined, user_agent: req.headers['user-agent'] },
        'challenge request',
      );
      if (answer === undefined) return send(res, 404, 'text/plain', 'Not Found\n', head);
      return send(res, 200, 'text/plain', answer, head);
    }
    const ui = matchUiRequest(path, (req.url ?? '').split('?')[1] ?? '');
    if (ui) return this.ui(req, res, ui);
    switch (path) {
      case '/health': {
        if (!isGet) return send(res, 405, 'text/plain', 'Method Not Allowed\n', false);
        const h = await this.handlers.health();
        return send(
          res,
          h.healthy ? 200 : 503,
          'application/json',
          JSON.stringify({ status: h.status ?? (h.healthy ? 'ok' : 'unhealthy'), checks: h.checks }),
          head,
        );
      }
      case '/metrics': {
        if (!isGet) return send(res, 405, 'text/plain', 'Method Not Allowed\n', false);
        const m = await this.handlers.metrics();
        return send(res, 200, m.contentType, m.body, head);
      }
      case '/status':
        if (!isGet) return send(res, 405, 'text/plain', 'Method Not Allowed\n', false);
        if (this.auth.readAuth && !this.allowed(req, res, 'read', head)) return;
        return send(res, 200, 'application/json', JSON.stringify(this.handlers.status(), null, 2), head);
      case '/removals/release':
        if (method !== 'POST') return send(res, 405, 'text/plain', 'Method Not Allowed\n', false);
        if (!this.allowed(req, res, 'write', false)) return;
        return send(res, 200, 'application/json', JSON.stringify({ released: this.handlers.releaseRemovals() }), false);
      default:
        return send(res, 404, 'text/plain', 'Not Found\n', head);
    }
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  head: boolean,
  extra: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : buf);
}
