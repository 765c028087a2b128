/**
 * A Marathon API simulator, faithful on the wire to reference/marathon-api.md (Marathon 1.10 behind
 * Jetty 9.4). Test support; also used by the demo and the benchmarks.
 *
 * Routes: `GET/POST /v2/apps`, `GET/PUT/DELETE /v2/apps/{id}` (ids with slashes), `GET /v2/info`,
 * `GET /ping`, `GET /v2/leader`, `GET /v2/events`.
 *
 * `/v2/events` like Jetty's EventSourceServlet (§2.1–2.2): the `Accept` header must equal
 * `text/event-stream` exactly (else 405 with Jetty's HTML page); 200 with
 * `text/event-stream;charset=utf-8` and `Connection: close` (no chunked encoding: the body ends when
 * TCP closes); every event framed `event: T\r\ndata: JSON\r\n\r\n`; a bare `\r\n` keep-alive every
 * `keepAliveMs` (written as `\r`, flush, `\n`, like Jetty); `event_type` filtering (exact, repeatable,
 * none = all); `event_stream_attached` published to ALL streams when one opens,
 * `event_stream_detached` when one closes.
 *
 * Events per API call (§2.3): POST/PUT publish `api_post_event` (`uri` = request path) then
 * `group_change_success`, `deployment_info`, `deployment_step_success`, `deployment_success`;
 * DELETE publishes NO `api_post_event`: `group_change_success`, `deployment_info`,
 * `app_terminated_event`, `deployment_step_success`, `deployment_success`.
 *
 * Options: Basic auth (401 with `WWW-Authenticate: basic realm="Mesosphere"`) or a DC/OS token;
 * standby mode: `/v2/events` → 302 to the leader's `/v2/events?<same query>`, other requests proxied
 * to the leader (§1.4). Controls let tests drop streams, stall responses, serve errors, storm events,
 * and play a hostile Marathon (hostile.ts): flood streams with an event or a line that never ends,
 * serve apps of any size, drip `/v2/apps` bodies a byte at a time.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { drip, type FloodMode, flood, hugeApp } from './hostile.js';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Initial apps (stored verbatim, except a missing leading `/` on ids). */
  readonly apps?: readonly unknown[];
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Require `Authorization: token=<token>` (DC/OS). */
  readonly token?: string;
  /** Keep-alive period in ms (Jetty heartBeatPeriod: 10 000); 0 disables. */
  readonly keepAliveMs?: number;
  /** Start as a standby of this leader base URL. */
  readonly standbyOf?: string;
  /** `version` in /v2/info. */
  readonly version?: string;
  /** Serve under this path prefix (e.g. `/marathon`, like DC/OS admin router); other paths 404. */
  readonly basePath?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawHeaders: readonly string[];
  /** When it arrived (epoch ms, `performance.timeOrigin + performance.now()`). */
  readonly at: number;
}

export interface StallMode {
  /** `headers`: /v2/apps never answers; `body`: answers headers and part of the body, then stalls. */
  readonly apps?: false | 'headers' | 'body';
  /** New `/v2/events` requests never get headers. */
  readonly eventsConnect?: boolean;
  /** Open streams receive nothing (no events, no keep-alives). */
  readonly streams?: boolean;
}

export interface MarathonSimulator {
  readonly url: string;
  readonly port: number;
  readonly apps: {
    list(): unknown[];
    get(id: string): unknown;
    /** Create (like POST /v2/apps, with events). Throws if the id exists. */
    add(app: Record<string, unknown>): void;
    /** Create or replace (like PUT /v2/apps/{id}, with events). */
    put(app: Record<string, unknown>): void;
    /** Delete (like DELETE /v2/apps/{id}, with events). Returns false if absent. */
    remove(id: string): boolean;
    /** Replace everything silently (no events), verbatim — also malformed entries. */
    setRaw(apps: readonly unknown[]): void;
  };
  readonly controls: {
    /** Close every open event stream (TCP FIN). */
    dropStreams(): void;
    /** Destroy every open event stream (TCP RST-ish). */
    resetStreams(): void;
    stall(mode: StallMode): void;
    /** Serve `status` to the next `count` API requests (default: until cleared with null). */
    failWith(status: number | null, count?: number): void;
    /** Become a standby of `leaderUrl` (302 for /v2/events, proxy for the rest), or leader with null. */
    setStandby(leaderUrl: string | null): void;
    /** Accept new streams then close them at once (a standby not redirecting). */
    closeNewStreams(on: boolean): void;
    /** Publish an event to the streams (filtered per stream). */
    emit(eventType: string, payload?: Record<string, unknown>): void;
    /** Publish `count` events in one tick (an event storm). */
    storm(count: number, eventType?: string): void;
    /** Number of open event streams. */
    streamCount(): number;
    /** Requests seen, in order (cleared by `clearRequests`). */
    requests(): readonly RecordedRequest[];
    clearRequests(): void;
    /** Number of GET /v2/apps requests served (any status). */
    appsRequestCount(): number;
    /**
     * Flood every open stream, and each new one, with an event (`endless-event`) or a line
     * (`endless-line`) that never ends, as fast as the client reads; null stops. `floodedBytes` counts.
     */
    flood(mode: FloodMode | null): void;
    floodedBytes(): number;
    /** Add (like POST, with events) an app of about `bytes` bytes, grown by a label or another field. */
    addHugeApp(id: string, bytes: number, where: 'label' | 'definition', domain?: string): void;
    /** Serve the next `count` (default: every) GET /v2/apps one byte per `msPerByte` ms; null stops. */
    drip(msPerByte: number | null, count?: number): void;
  };
  stop(): Promise<void>;
}

interface Stream {
  readonly types: ReadonlySet<string>;
  readonly remoteAddress: string;
  write(b: Buffer | string): void;
  end(): void;
  destroy(): void;
  timer?: NodeJS.Timeout;
  res?: ServerResponse;
}

const JETTY_405 =
  '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error 405 HTTP method GET is not supported by this URL</title>\n</head>\n<body><h2>HTTP ERROR 405</h2>\n<p>Problem accessing /v2/events. Reason:\n<pre>    HTTP method GET is not supported by this URL</pre></p>\n</body>\n</html>\n';

/** ISO-8601 with milliseconds and Z, Marathon's timestamp format. */
function timestamp(): string {
  return new Date().toISOString();
}

function normalizeId(id: string): string {
  return id.startsWith('/') ? id : `/${id}`;
}

export async function startMarathonSimulator(opts: SimulatorOptions = {}): Promise<MarathonSimulator> {
  const apps = new Map<string, unknown>();
  let rawApps: unknown[] | null = null;
  /** The serialised `/v2/apps` answer, cached as bytes until the apps change. */
  let appsBody: Buffer | null = null;
  const streams = new Set<Stream>();
  const requests: RecordedRequest[] = [];
  let appsRequests = 0;
  let stall: StallMode = {};
  let failure: { status: number; remaining: number } | null = null;
  let standbyOf: string | null = opts.standbyOf ?? null;
  let closeNew = false;
  let floodMode: FloodMode | null = null;
  let floods: Array<{ written: () => number }> = [];
  let dripping: { msPerByte: number; remaining: number } | null = null;
  const keepAliveMs = opts.keepAliveMs ?? 10_000;
  const stalled = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  for (const a of opts.apps ?? []) storeApp(a);

  function storeApp(a: unknown): void {
    const rec = a as Record<string, unknown>;
    const id = typeof rec?.['id'] === 'string' ? normalizeId(rec['id']) : `/app-${apps.size}`;
    // Marathon writes `id` first: keep it first (the reader's id hint for oversized apps relies on it).
    apps.set(id, typeof rec === 'object' && rec !== null ? Object.assign({ id }, rec, { id }) : a);
    changed();
  }

  /** The app map changed: it is what `/v2/apps` serves again (not a `setRaw` list); the cached body is stale. */
  function changed(): void {
    rawApps = null;
    appsBody = null;
  }

  function appList(): unknown[] {
    return rawApps ?? [...apps.values()];
  }

  function getAppsBody(): Buffer {
    if (appsBody === null) appsBody = Buffer.from(JSON.stringify({ apps: appList() }), 'utf8');
    return appsBody;
  }

  // ------------------------------------------------------------------ events
  function frame(eventType: string, payload: Record<string, unknown>): Buffer {
    const data = JSON.stringify({ ...payload, eventType, timestamp: timestamp() });
    return Buffer.from(`event: ${eventType}\r\ndata: ${data}\r\n\r\n`, 'utf8');
  }

  function publish(eventType: string, payload: Record<string, unknown> = {}): void {
    let buf: Buffer | null = null;
    for (const s of streams) {
      if (s.types.size > 0 && !s.types.has(eventType)) continue;
      if (stall.streams) continue;
      buf ??= frame(eventType, payload);
      s.write(buf);
    }
  }

  function deploymentEvents(appId: string, action: string, terminated: boolean): void {
    const id = randomUUID();
    const version = timestamp();
    const step = { actions: [{ action, app: appId }] };
    const plan = { id, version, steps: [step] };
    publish('group_change_success', { groupId: appId.slice(0, appId.lastIndexOf('/')) || '/', version });
    publish('deployment_info', { plan, currentStep: step });
    if (terminated) publish('app_terminated_event', { appId });
    publish('deployment_step_success', { plan, currentStep: step });
    publish('deployment_success', { id, plan });
  }

  function apiPost(uri: string, app: unknown, clientIp: string | null): void {
    publish('api_post_event', { clientIp, uri, appDefinition: app });
  }

  /** POST: `putApp` of an id that does not exist yet. */
  function addApp(
    app: Record<string, unknown>,
    uri = '/v2/apps',
    clientIp: string | null = null,
  ): { ok: boolean; id: string } {
    const id = normalizeId(String(app['id'] ?? ''));
    if (apps.has(id)) return { ok: false, id };
    putApp(app, uri, clientIp);
    return { ok: true, id };
  }

  function putApp(
    app: Record<string, unknown>,
    uri?: string,
    clientIp: string | null = null,
  ): { created: boolean; id: string } {
    const id = normalizeId(String(app['id'] ?? ''));
    const created = !apps.has(id);
    const stored = Object.assign({ id, labels: {} }, app, { id, version: timestamp() });
    apps.set(id, stored);
    changed();
    apiPost(uri ?? `/v2/apps${id}`, stored, clientIp);
    deploymentEvents(id, created ? 'StartApplication' : 'RestartApplication', false);
    return { created, id };
  }

  function removeApp(id: string): boolean {
    const nid = normalizeId(id);
    if (!apps.has(nid)) return false;
    apps.delete(nid);
    changed();
    // Marathon publishes no api_post_event for deletes (reference/marathon-api.md §2.3).
    deploymentEvents(nid, 'StopApplication', true);
    return true;
  }

  function openStream(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const socket = req.socket;
    const types = new Set(query.getAll('event_type').filter((t) => t.length > 0));
    const remoteAddress = socket.remoteAddress ?? '127.0.0.1';
    // Jetty: Connection: close and no chunked encoding; the body is the raw byte stream.
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream;charset=utf-8',
      Connection: 'close',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      Expires: '0',
      'X-Marathon-Leader': `http://${hostPort}`,
    });
    res.flushHeaders();
    if (closeNew) {
      res.end();
      return;
    }
    // Events are written on the response; without chunked encoding the bytes go out verbatim.
    const open = (): boolean => !res.writableEnded && !res.destroyed;
    const stream: Stream = {
      types,
      remoteAddress,
      write: (b) => {
        if (open()) res.write(b);
      },
      end: () => res.end(),
      destroy: () => res.destroy(),
    };
    res.on('error', () => undefined); // a client gone mid-write is normal for a stream
    streams.add(stream);
    stream.res = res;
    if (floodMode !== null) startFlood(stream, floodMode);
    if (keepAliveMs > 0) {
      // Jetty's heartbeat: "\r", flush, "\n" (reference/marathon-api.md §2.2).
      stream.timer = setInterval(() => {
        if (stall.streams || !open()) return;
        res.write('\r');
        setImmediate(() => {
          if (open()) res.write('\n');
        });
      }, keepAliveMs);
    }
    const onClose = (): void => {
      if (!streams.delete(stream)) return;
      clearInterval(stream.timer);
      publish('event_stream_detached', { remoteAddress });
    };
    socket.once('close', onClose);
    res.once('close', onClose);
    publish('event_stream_attached', { remoteAddress });
  }

  function startFlood(s: Stream, mode: FloodMode): void {
    if (s.res !== undefined) floods.push(flood(s.res, mode, () => floodMode === mode));
  }

  // ------------------------------------------------------------------ HTTP
  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type':
        typeof body === 'string' && headers['Content-Type'] === undefined ? 'text/plain' : 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      'X-Marathon-Leader': `http://${hostPort}`,
      ...headers,
    });
    res.end(text);
  }

  function authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (opts.token !== undefined) return auth === `token=${opts.token}`;
    if (opts.basicAuth === undefined) return true;
    const want = `Basic ${Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString('base64')}`;
    return auth === want;
  }

  function readJson(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          resolve(chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
      req.on('error', reject);
    });
  }

  function proxy(req: IncomingMessage, res: ServerResponse, leader: string): void {
    const target = new URL(req.url ?? '/', leader);
    const preq = http.request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (pres) => {
        res.writeHead(pres.statusCode ?? 502, pres.headers);
        pres.pipe(res);
      },
    );
    preq.on('error', () => send(res, 502, { message: 'Could not determine the current leader' }));
    req.pipe(preq);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    requests.push({
      at: performance.timeOrigin + performance.now(),
      method,
      path: url.pathname,
      query: url.search,
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
    });
    const base = (opts.basePath ?? '').replace(/\/+$/, '');
    if (base !== '' && url.pathname !== base && !url.pathname.startsWith(`${base}/`))
      return send(res, 404, { message: 'Not found' });
    const path = url.pathname.slice(base.length) || '/';

    if (!authorized(req)) {
      if (opts.token !== undefined) return send(res, 401, { message: 'Invalid authentication token.' });
      return send(
        res,
        401,
        { message: 'Invalid username or password.' },
        { 'WWW-Authenticate': 'basic realm="Mesosphere"' },
      );
    }
    if (path === '/v2/events') {
      if (standbyOf !== null) {
        // Marathon ≥1.7 standby: 302 to the leader's stream, same query (§1.4).
        const loc = new URL(standbyOf);
        loc.pathname = `${loc.pathname.replace(/\/+$/, '')}/v2/events`;
        loc.search = url.search;
        res.writeHead(302, { Location: loc.href, 'Content-Length': '0' });
        res.end();
        return;
      }
      if (method !== 'GET') return send(res, 405, JETTY_405, { 'Content-Type': 'text/html;charset=iso-8859-1' });
      const accepts: string[] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        if (req.rawHeaders[i]!.toLowerCase() === 'accept') accepts.push(req.rawHeaders[i + 1]!);
      if (!accepts.includes('text/event-stream'))
        return send(res, 405, JETTY_405, { 'Content-Type': 'text/html;charset=iso-8859-1' });
      if (failure !== null) return serveFailure(res);
      if (stall.eventsConnect) {
        stalled.add(res);
        return;
      }
      return openStream(req, res, url.searchParams);
    }
    if (standbyOf !== null) return proxy(req, res, standbyOf);
    if (failure !== null && path.startsWith('/v2/')) {
      if (path === '/v2/apps' && method === 'GET') appsRequests++;
      return serveFailure(res);
    }
    if (path === '/ping') return send(res, 200, 'pong');
    if (path === '/v2/info') {
      return send(res, 200, {
        name: 'marathon',
        version: opts.version ?? '1.10.26',
        buildref: 'simulator',
        elected: true,
        leader: hostPort,
        frameworkId: 'simulator-0000',
        marathon_config: { hostname: '127.0.0.1', ha: true },
        http_config: { http_port: port },
      });
    }
    if (path === '/v2/leader') {
      if (method === 'GET') return send(res, 200, { leader: hostPort });
      return send(res, 200, { message: 'Leadership abdicated' });
    }
    if (path === '/v2/apps' || path === '/v2/apps/') return handleApps(req, res, method);
    if (path.startsWith('/v2/apps/'))
      return handleApp(req, res, method, normalizeId(decodeURIComponent(path.slice('/v2/apps'.length))));
    return send(res, 404, { message: 'Not found' });
  }

  function serveFailure(res: ServerResponse): void {
    const f = failure!;
    if (f.remaining > 0 && --f.remaining === 0) failure = null;
    send(res, f.status, { message: `simulated ${f.status}` });
  }

  async function handleApps(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method === 'GET') {
      appsRequests++;
      if (stall.apps === 'headers') {
        stalled.add(res);
        return;
      }
      const body = getAppsBody();
      if (dripping !== null) {
        const d = dripping;
        if (d.remaining > 0 && --d.remaining === 0) dripping = null;
        return drip(res, body, d.msPerByte, { 'Content-Type': 'application/json; charset=utf-8' });
      }
      if (stall.apps === 'body') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        stalled.add(res);
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(body.length),
        'X-Marathon-Leader': `http://${hostPort}`,
      });
      res.end(body);
      return;
    }
    if (method === 'POST') {
      let app: unknown;
      try {
        app = await readJson(req);
      } catch {
        return send(res, 400, { message: 'Invalid JSON' });
      }
      if (typeof app !== 'object' || app === null || typeof (app as { id?: unknown }).id !== 'string') {
        return send(res, 422, {
          message: 'Object is not valid',
          details: [{ path: '/id', errors: ['error.path.missing'] }],
        });
      }
      const r = addApp(app as Record<string, unknown>, '/v2/apps', req.socket.remoteAddress ?? null);
      if (!r.ok) return send(res, 409, { message: `An app with id [${r.id}] already exists.` });
      return send(res, 201, apps.get(r.id), { Location: `http://${hostPort}/v2/apps${r.id}` });
    }
    return send(res, 405, { message: 'Method not allowed' });
  }

  async function handleApp(req: IncomingMessage, res: ServerResponse, method: string, id: string): Promise<void> {
    if (method === 'GET') {
      const app = apps.get(id);
      if (app === undefined) return send(res, 404, { message: `App '${id}' does not exist` });
      return send(res, 200, { app });
    }
    if (method === 'PUT') {
      let app: unknown;
      try {
        app = await readJson(req);
      } catch {
        return send(res, 400, { message: 'Invalid JSON' });
      }
      if (typeof app !== 'object' || app === null) return send(res, 422, { message: 'Object is not valid' });
      const r = putApp({ ...(app as Record<string, unknown>), id }, `/v2/apps${id}`, req.socket.remoteAddress ?? null);
      return send(res, r.created ? 201 : 200, { deploymentId: randomUUID(), version: timestamp() });
    }
    if (method === 'DELETE') {
      if (!removeApp(id)) return send(res, 404, { message: `App '${id}' does not exist` });
      return send(res, 200, { deploymentId: randomUUID(), version: timestamp() });
    }
    return send(res, 405, { message: 'Method not allowed' });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: 'simulator error' });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const host = opts.host ?? '127.0.0.1';
  const hostPort = `${host}:${port}`;

  const sim: MarathonSimulator = {
    url: `http://${hostPort}`,
    port,
    apps: {
      list: () => appList(),
      get: (id) => apps.get(normalizeId(id)),
      add: (app) => {
        const r = addApp(app);
        if (!r.ok) throw new Error(`app ${r.id} already exists`);
      },
      put: (app) => void putApp(app),
      remove: (id) => removeApp(id),
      setRaw: (list) => {
        rawApps = [...list];
        appsBody = null;
      },
    },
    controls: {
      dropStreams: () => {
        for (const s of [...streams]) s.end();
      },
      resetStreams: () => {
        for (const s of [...streams]) s.destroy();
      },
      stall: (mode) => {
        stall = { ...mode };
        if (!mode.apps && !mode.eventsConnect) {
          for (const r of stalled) r.destroy();
          stalled.clear();
        }
      },
      failWith: (status, count = 0) => {
        failure = status === null ? null : { status, remaining: count };
      },
      setStandby: (leader) => {
        standbyOf = leader;
      },
      closeNewStreams: (on) => {
        closeNew = on;
      },
      emit: (type, payload = {}) => publish(type, payload),
      storm: (count, type = 'api_post_event') => {
        for (let i = 0; i < count; i++)
          publish(type, { clientIp: null, uri: `/v2/apps/storm-${i}`, appDefinition: { id: `/storm-${i}` } });
      },
      streamCount: () => streams.size,
      requests: () => requests,
      clearRequests: () => void requests.splice(0),
      appsRequestCount: () => appsRequests,
      flood: (mode) => {
        floodMode = mode;
        if (mode !== null) for (const s of streams) startFlood(s, mode);
      },
      floodedBytes: () => floods.reduce((n, f) => n + f.written(), 0),
      addHugeApp: (id, bytes, where, domain) => {
        const r = addApp(hugeApp(id, bytes, where, domain));
        if (!r.ok) throw new Error(`app ${r.id} already exists`);
      },
      drip: (msPerByte, count = 0) => {
        dripping = msPerByte === null ? null : { msPerByte, remaining: count };
      },
    },
    stop: async () => {
      floodMode = null;
      floods = [];
      dripping = null;
      for (const s of streams) clearInterval(s.timer);
      streams.clear();
      for (const r of stalled) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sim;
}

export { generateCluster, type ClusterOptions } from './generator.js';
