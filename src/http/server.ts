/**
 * The daemon's HTTP server (`--listen`, default :8000), on fastify:
 *   GET /.well-known/acme-challenge/ping   200 application/json {"message": "pong"} (0.6.1, exact)
 *   GET /.well-known/acme-challenge/<tok>  200 text/plain key authorization, else 404 (0.6.1)
 *   GET /health                            200/503 JSON checks (0.6.1 answered a permanent 501)
 *   GET /metrics                           Prometheus text
 *   GET /status                            JSON: every certificate, why it exists, its state
 *   POST /removals/release                 alias of POST /api/v1/removals/release (token: write)
 *   /api/v1/...                            the operator API (http/api/routes.ts; docs/api.md)
 *   GET /ui/, /ui/cert/<name>              the status page (ui/index.ts); GET / and /ui redirect to /ui/
 * Every state-changing route needs `Authorization: Bearer <token>` with its scope (lib/tokens.ts): 401 without a
 * known token, 403 without the scope or when no tokens are configured. A browser cannot send that header
 * cross-origin without a CORS preflight, which is never granted, so a cross-origin POST never acts; only
 * `application/json` bodies are parsed. With `readAuth`, reads need a `read` token too. Tokens are never logged.
 *
 * Contract: a request path is matched exactly, never normalised into another route: a path with `%`, an empty
 * segment (`//`), a `.` or `..` segment, or a character outside RFC 3986's path characters answers 404 before
 * any route sees it. Other methods on the fixed paths: 405; other paths: 404. HEAD is answered like GET without
 * a body. Bodies are bounded (`bodyLimit`), malformed ones answer 4xx, never 500. Connections are capped
 * (`maxConnections`) and idle or slow ones time out.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../lib/logger.js';
import type { TokenEntry } from '../lib/tokens.js';
import { type ApiHandlers, registerApi } from './api/routes.js';
import { requireScope } from './api/auth.js';
import type { Health } from './health.js';
import { matchUiRequest, renderUi, type UiStatus } from './ui/index.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** RFC 8555 §8.3: the token is base64url; anything else is not ours. */
const TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;
/** RFC 3986 pchar without pct-encoded, segments separated by single slashes. */
const EXACT_PATH = /^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)*\/?$/;
const FIXED_PATHS = new Set(['/health', '/metrics', '/status', '/removals/release', '/', '/ui', '/ui/']);

export interface HttpHandlers {
  /** Key authorization for a token, or undefined (→ 404). Asynchronous: the answer may live in a shared store. */
  challenge(token: string): Promise<string | undefined>;
  health(): Promise<Health>;
  /** The Prometheus text, whole or in chunks (sent as they are, not joined). */
  metrics(): Promise<{ contentType: string; body: string | readonly string[] }>;
  status(): unknown;
  /** The JSON text of `status()` in chunks built as they are read, when it can be (thousands of certificates). */
  statusJson?(): Iterable<string>;
  releaseRemovals(): string[];
  /** The operator API under /api/v1; without it only the fixed routes exist. */
  api?: ApiHandlers;
}

/** Who may call what: the parsed tokens file, and whether reads need a token. */
export interface HttpAuth {
  readonly tokens: readonly TokenEntry[];
  readonly readAuth: boolean;
}

/** Limits of the listener (issue 15 point 6). */
export interface HttpLimits {
  /** Connections beyond this are closed at once (default 4096). */
  readonly maxConnections: number;
  /** Largest request body, bytes (default 64 KiB). */
  readonly bodyLimit: number;
  /** Headers must arrive within this (default 10 s); the whole request within `requestTimeoutMs` (30 s). */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (default 5 s). */
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  maxConnections: 4096,
  bodyLimit: 64 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5000,
};

/** Adds routes to the server (e.g. the status page: `http.register((app) => app.get('/ui/', ...))`). */
export type RouteRegistration = (app: FastifyInstance, auth: HttpAuth) => void;

export class HttpServer {
  private app: FastifyInstance | undefined;
  private readonly log: Logger;
  private readonly extra: RouteRegistration[] = [];
  private readonly closing = new AbortController();
  private readonly routeList: { method: string; url: string }[] = [];

  constructor(
    private readonly handlers: HttpHandlers,
    logger: Logger,
    private readonly auth: HttpAuth = { tokens: [], readAuth: false },
    private readonly limits: HttpLimits = DEFAULT_LIMITS,
  ) {
    this.log = logger.child({ component: 'http' });
  }

  /** Add routes before `listen` (one call per feature: the status page, a sync feed). */
  register(fn: RouteRegistration): void {
    this.extra.push(fn);
  }

  /** Every registered route (method, URL pattern) once listening: the OpenAPI test compares them to the document. */
  routes(): readonly { method: string; url: string }[] {
    return this.routeList;
  }

  /** Listen; rejects (e.g. EADDRINUSE, EACCES) so the caller can exit with a clear error. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    const app = await this.build();
    this.app = app;
    await app.listen({ port, host: host ?? '::' }).catch(async (err: unknown) => {
      // `::` is unavailable without IPv6: fall back to every IPv4 address, as node:http does.
      if (host !== undefined || (err as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw err;
      await app.listen({ port, host: '0.0.0.0' });
    });
    const addr = app.server.address() as AddressInfo;
    this.log.info({ address: addr.address, port: addr.port, max_connections: this.limits.maxConnections }, 'listening');
    return addr;
  }

  async close(): Promise<void> {
    const app = this.app;
    if (!app) return;
    this.closing.abort();
    const timer = setTimeout(() => app.server.closeAllConnections(), 2000);
    timer.unref();
    await app.close();
    clearTimeout(timer);
  }

  private async build(): Promise<FastifyInstance> {
    const l = this.limits;
    const app = Fastify({
      logger: false,
      bodyLimit: l.bodyLimit,
      // A connection silent this long is closed (one that never sends a byte is not covered by headersTimeout).
      connectionTimeout: l.headersTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      forceCloseConnections: 'idle',
      return503OnClosing: true,
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
      // A value of the wrong type is refused, never coerced; an unknown field is refused, never dropped.
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
      // node:http checks the header and request timeouts every connectionsCheckingInterval (30 s by default).
      serverFactory: (handler) =>
        createServer(
          {
            headersTimeout: l.headersTimeoutMs,
            requestTimeout: l.requestTimeoutMs,
            keepAliveTimeout: l.keepAliveTimeoutMs,
            connectionsCheckingInterval: Math.min(1000, l.headersTimeoutMs),
          },
          handler,
        ).setTimeout(l.headersTimeoutMs),
    });
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) this.routeList.push({ method, url: r.url });
    });
    app.server.maxConnections = l.maxConnections;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: l.bodyLimit }, parseJson);
    app.addHook('onRequest', async (req, reply) => {
      if (!EXACT_PATH.test(pathOf(req.url))) return notFound(reply);
      return undefined;
    });
    app.setNotFoundHandler((req, reply) => {
      const path = pathOf(req.url);
      if (FIXED_PATHS.has(path) || path.startsWith(CHALLENGE_PREFIX) || path.startsWith('/ui/cert/'))
        return methodNotAllowed(reply);
      return notFound(reply);
    });
    app.setErrorHandler(
      (err: Error & { statusCode?: number; code?: string; validationContext?: string }, req, reply) => {
        // A path parameter that is not a name names nothing: 404, like any unknown path.
        if (err.validationContext === 'params') return notFound(reply);
        const status =
          err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
        if (status === 500)
          this.log.error({ err: err.message, code: err.code, path: pathOf(req.url) }, 'request failed');
        return json(reply, status, { error: status === 500 ? 'internal error' : err.message });
      },
    );
    this.fixedRoutes(app);
    if (this.handlers.api) await registerApi(app, this.handlers.api, this.auth, this.log, this.closing.signal);
    for (const fn of this.extra) fn(app, this.auth);
    await app.ready();
    return app;
  }

  private fixedRoutes(app: FastifyInstance): void {
    const h = this.handlers;
    app.get(`${CHALLENGE_PREFIX}*`, async (req, reply) => {
      const token = pathOf(req.url).slice(CHALLENGE_PREFIX.length);
      if (token === 'ping') return send(reply, 200, 'application/json', '{"message": "pong"}');
      const answer = TOKEN_RE.test(token) ? await h.challenge(token) : undefined;
      this.log.debug(
        { token, found: answer !== undefined, user_agent: req.headers['user-agent'] },
        'challenge request',
      );
      if (answer === undefined) return notFound(reply);
      return send(reply, 200, 'text/plain', answer);
    });
    app.get('/health', async (_req, reply) => {
      const r = await h.health();
      const status = r.status ?? (r.healthy ? 'ok' : 'unhealthy');
      return send(reply, r.healthy ? 200 : 503, 'application/json', JSON.stringify({ status, checks: r.checks }));
    });
    app.get('/metrics', async (_req, reply) => {
      const m = await h.metrics();
      return send(reply, 200, m.contentType, m.body);
    });
    const read = this.auth.readAuth ? requireScope(this.auth, 'read', this.log) : [];
    app.get('/status', { onRequest: read }, async (_req, reply) =>
      h.statusJson
        ? sendStream(reply, 200, 'application/json', h.statusJson(), this.log)
        : send(reply, 200, 'application/json', JSON.stringify(h.status())),
    );
    app.post('/removals/release', { onRequest: requireScope(this.auth, 'write', this.log) }, async (_req, reply) =>
      json(reply, 200, { released: h.releaseRemovals() }),
    );
    this.uiRoutes(app);
  }

  /**
   * The status page (http/ui/): `/` and `/ui` redirect, `/ui/` and `/ui/cert/<name>` render. With read auth the
   * page itself loads without data (its script then reads the data with the operator's token).
   */
  private uiRoutes(app: FastifyInstance): void {
    const readHook = requireScope(this.auth, 'read', this.log);
    const page = async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.url.indexOf('?');
      const ui = matchUiRequest(pathOf(req.url), q === -1 ? '' : req.url.slice(q + 1));
      if (!ui) return notFound(reply);
      const { readAuth } = this.auth;
      const withData = !readAuth || (ui.kind !== 'redirect' && ui.fragment);
      if (readAuth && withData) {
        await readHook(req, reply);
        if (reply.sent) return reply;
      }
      const data = withData
        ? { status: this.handlers.status() as UiStatus, health: await this.handlers.health(), now: Date.now() }
        : { now: Date.now() };
      const ifNoneMatch = req.headers['if-none-match'];
      const r = renderUi(ui, data, { api: this.handlers.api !== undefined, readAuth, ifNoneMatch });
      return send(reply, r.status, r.contentType, r.body, r.headers);
    };
    for (const path of ['/', '/ui', '/ui/', '/ui/cert/*']) app.get(path, page);
  }
}

/** The path of a request target, without the query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function parseJson(_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) {
  try {
    done(null, body === '' ? undefined : JSON.parse(String(body)));
  } catch {
    done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }));
  }
}

/**
 * Answer with exactly these bytes and headers, written by node:http as before fastify (the 0.6.1-compatible
 * routes: fastify would add a charset to the content type). node:http sends no body to a HEAD request.
 */
/**
 * Answer with `body` (text, or text in chunks written one after the other: a large body is never joined
 * or copied whole). Content-Length is always set.
 */
export function send(
  reply: FastifyReply,
  status: number,
  type: string,
  body: string | readonly string[],
  extra: Readonly<Record<string, string>> = {},
): FastifyReply {
  const chunks = typeof body === 'string' ? [body] : body;
  let length = 0;
  for (const c of chunks) length += Buffer.byteLength(c, 'utf8');
  reply.hijack();
  reply.raw.writeHead(status, {
    'Content-Type': type,
    'Content-Length': length,
    'Cache-Control': 'no-store',
    ...extra,
  });
  // HEAD: Node's response writes no body (and keeps the Content-Length of the GET).
  for (const c of chunks) reply.raw.write(c, 'utf8');
  reply.raw.end();
  return reply;
}

/**
 * Answer with the chunks of `body`, each written as soon as it is built (chunked transfer encoding, no
 * Content-Length): the text is never whole in memory, and a client that reads slowly is waited for
 * (the next chunk is built once the last has drained). The first chunk is built before the headers go,
 * so a failure there is an ordinary error answer (500); a later one is logged and the response is cut
 * off (the client sees an incomplete transfer, never a truncated body that looks whole). HEAD: the
 * headers only, nothing built.
 */
export async function sendStream(
  reply: FastifyReply,
  status: number,
  type: string,
  body: Iterable<string>,
  log: Logger,
): Promise<FastifyReply> {
  const it = body[Symbol.iterator]();
  let r = reply.request.method === 'HEAD' ? undefined : it.next();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  try {
    while (r && !r.done) {
      if (!res.write(r.value, 'utf8')) await drained(res);
      if (res.destroyed) {
        it.return?.();
        return reply;
      }
      r = it.next();
    }
  } catch (err) {
    log.error({ err, path: pathOf(reply.request.url) }, 'request failed');
    res.destroy(err instanceof Error ? err : new Error(String(err)));
    return reply;
  }
  res.end();
  return reply;
}

/** Resolves when `res` can take more, or is closed. */
function drained(res: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export function json(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return send(reply, status, 'application/json', JSON.stringify(value));
}

/** 404 (node:http sends no body to a HEAD request). */
function notFound(reply: FastifyReply): FastifyReply {
  return send(reply, 404, 'text/plain', 'Not Found\n');
}

function methodNotAllowed(reply: FastifyReply): FastifyReply {
  return send(reply, 405, 'text/plain', 'Method Not Allowed\n');
}
