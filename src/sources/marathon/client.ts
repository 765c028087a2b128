/**
 * The Marathon HTTP client: `GET /v2/apps` and the `/v2/events` stream over node:http(s)
 * (reference/marathon-acme-behaviour.md §3.1–3.4, reference/marathon-api.md §1, §2).
 *
 * - Endpoints: `--marathon a,b,c`, entries trimmed. Requests try the endpoint that worked last, then the
 *   others in list order (0.6.1 always restarted at #1). A transport error, a response-header timeout
 *   or a 5xx moves on to the next endpoint (0.6.1 failed over on transport errors only; a 5xx from one
 *   instance — e.g. 502 "Could not determine the current leader" — is an instance problem, §1.4).
 *   A 4xx (auth, not found) is the same everywhere and fails at once.
 * - A base path is KEPT (`http://host/marathon` → `/marathon/v2/apps`; 0.6.1 dropped it, §3.1).
 * - `user:pass@` in a URL → `Authorization: Basic ...` (percent-decoded, lib/urls `splitUserinfo`),
 *   stripped from every log line and error (`redactUrl` for entries that do not parse); a DC/OS
 *   token → `Authorization: token=...` (wins over Basic). Endpoint bases and redirect targets never
 *   carry userinfo after parsing, so their `href` is log-safe.
 * - `timeoutMs` bounds the wait for response headers (0 disables, like `--marathon-timeout 0`);
 *   for `/v2/apps` it is also the body's idle timeout, and `bodyTimeoutMs` bounds the WHOLE body
 *   (default max(30 s, 3 × timeoutMs); 0 with `timeoutMs` 0), so neither a stalled body nor one
 *   dripping a byte at a time can hold a sync (and every later one) forever.
 * - An app definition over `maxAppBytes` is skipped unparsed and reported (`streamApps`'s
 *   `onOversized`); the whole body is capped at `maxBodyBytes`.
 * - Non-200, a content type other than `application/json` / `text/event-stream`, bad JSON or no
 *   `apps` list is a typed `AppError` — never an empty app list.
 * - Redirects (3xx with Location) are followed, up to 3 — Marathon ≥1.7 standbys answer `/v2/events`
 *   with 302 to the leader (§1.4). Credentials (token or Basic) go only to the origin they were
 *   configured for: a redirect to the same origin, or to the origin of another `--marathon` URL (the
 *   leader is normally one of them; it gets that URL's credentials), carries them; a redirect anywhere
 *   else is followed WITHOUT any (an answering 401 is then an error like any other). An https → http
 *   redirect is a change of origin too.
 * - Logs: a failed endpoint is a debug line (the caller logs the failed read once, with its cause);
 *   switching to another endpoint is one info line.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { AppError, isAbortError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { abortReason } from '../../lib/abort.js';
import { AppsStreamParser, type OversizedHandler } from './apps-stream.js';
import { type MarathonEndpoint, parseMarathonUrls } from './endpoints.js';
import { checkResponse } from './response-checks.js';
import { consume } from './consume.js';

export interface MarathonClientOptions {
  readonly urls: string | readonly string[];
  /** Response-header timeout in ms; 0 disables. Default 10 000 (`--marathon-timeout`). */
  readonly timeoutMs?: number;
  /** DC/OS ACS token: `Authorization: token=<token>`. */
  readonly token?: string;
  readonly logger: Logger;
  /** Largest accepted `/v2/apps` body in bytes (default 512 MiB). */
  readonly maxBodyBytes?: number;
  /** Largest app definition read, in bytes (default apps-stream's MAX_APP_BYTES, 4 MiB). */
  readonly maxAppBytes?: number;
  /** Longest time for a whole `/v2/apps` body, in ms (default: see the module comment; 0 disables). */
  readonly bodyTimeoutMs?: number;
}

/** The least time a whole `/v2/apps` body is given (10,000 apps are about 15 MB). */
export const MIN_BODY_TIMEOUT_MS = 30_000;

/** The open event stream: read `response` until it ends; destroy it to abort. */
export interface EventStream {
  readonly response: IncomingMessage;
  /** Log-safe URL the stream came from (after redirects). */
  readonly url: string;
}

const MAX_REDIRECTS = 3;
const USER_AGENT = 'marathon-acme';

export class MarathonClient {
  readonly endpoints: readonly MarathonEndpoint[];
  private preferred = 0;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly token: string | undefined;
  private readonly maxBodyBytes: number;
  private readonly maxAppBytes: number | undefined;
  private readonly bodyTimeoutMs: number;

  constructor(opts: MarathonClientOptions) {
    this.endpoints = parseMarathonUrls(opts.urls);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.logger;
    this.token = opts.token !== undefined && opts.token !== '' ? opts.token : undefined;
    this.maxBodyBytes = opts.maxBodyBytes ?? 512 * 1024 * 1024;
    this.maxAppBytes = opts.maxAppBytes;
    this.bodyTimeoutMs =
      opts.bodyTimeoutMs ?? (this.timeoutMs > 0 ? Math.max(MIN_BODY_TIMEOUT_MS, 3 * this.timeoutMs) : 0);
  }

  /** Index of the endpoint requests start with (the one that worked last). */
  get preferredIndex(): number {
    return this.preferred;
  }

  /** Start the next request at the following endpoint (after a stream that did not stay up). */
  rotate(): void {
    this.preferred = (this.preferred + 1) % this.endpoints.length;
  }

  /**
   * `GET /v2/apps` → the `apps` array, verbatim. Rejects with AppError:
   * MARATHON_UNREACHABLE (every endpoint failed; `cause` is the last failure), MARATHON_HTTP_STATUS,
   * MARATHON_BAD_CONTENT_TYPE, MARATHON_BAD_RESPONSE (not JSON / no `apps` list), MARATHON_TIMEOUT,
   * or an AbortError.
   */
  async getApps(signal?: AbortSignal): Promise<unknown[]> {
    const apps: unknown[] = [];
    await this.streamApps((app) => apps.push(app), signal);
    return apps;
  }

  /**
   * `GET /v2/apps`, handing each app to `onApp` as soon as it is read (see apps-stream.ts: the body is
   * never held whole), and each app over `maxAppBytes` to `onOversized` (default: dropped). Resolves
   * with the number of apps (oversized ones included) once the WHOLE body was read and validated;
   * rejects like `getApps` — in which case the apps already delivered must be discarded (never treat
   * a partial reading as a snapshot).
   */
  async streamApps(
    onApp: (app: unknown) => void,
    signal?: AbortSignal,
    onOversized?: OversizedHandler,
  ): Promise<number> {
    const { response, url } = await this.requestWithFailover('/v2/apps', undefined, 'application/json', signal);
    const parser = new AppsStreamParser(onApp, {
      url,
      ...(this.maxAppBytes !== undefined ? { maxAppBytes: this.maxAppBytes } : {}),
      ...(onOversized ? { onOversized } : {}),
    });
    await this.readBody(response, url, signal, (chunk) => parser.feed(chunk));
    return parser.end();
  }

  /**
   * Open `GET /v2/events?event_type=...` with `Accept: text/event-stream` exactly (Jetty compares the
   * header verbatim, reference/marathon-api.md §2.1). Resolves once a 200 `text/event-stream` response's
   * headers are in; the caller reads and finally destroys `response`.
   */
  async openEvents(eventTypes: readonly string[], signal?: AbortSignal): Promise<EventStream> {
    const query = new URLSearchParams();
    for (const t of [...eventTypes].sort()) query.append('event_type', t);
    const { response, url } = await this.requestWithFailover('/v2/events', query, 'text/event-stream', signal, {
      'Cache-Control': 'no-store',
    });
    return { response, url };
  }

  /** Try each endpoint, starting with the preferred one. */
  private async requestWithFailover(
    path: string,
    query: URLSearchParams | undefined,
    accept: string,
    signal: AbortSignal | undefined,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ response: IncomingMessage; url: string }> {
    /** The last transport failure (reaching the end of the loop means the last endpoint had one). */
    let last: unknown;
    const n = this.endpoints.length;
    for (let k = 0; k < n; k++) {
      const index = (this.preferred + k) % n;
      const ep = this.endpoints[index]!;
      const target = new URL(ep.base.href);
      target.pathname = `${ep.basePath}${path}`;
      if (query !== undefined) target.search = query.toString();
      try {
        const res = await this.getFollowingRedirects(target, ep, accept, extraHeaders, signal);
        const url = res.finalUrl.href;
        // A 5xx moves on, except from the last endpoint tried: its status error is what the caller gets.
        if (res.response.statusCode !== undefined && res.response.statusCode >= 500 && k < n - 1) {
          res.response.resume();
          this.log.debug({ url, status: res.response.statusCode }, 'marathon server error, trying the next endpoint');
          continue;
        }
        checkResponse(res.response, url, accept);
        if (this.preferred !== index) this.log.info({ url: ep.display }, 'using marathon endpoint');
        this.preferred = index;
        return { response: res.response, url };
      } catch (err) {
        if (isAbortError(err) || signal?.aborted) throw err;
        if (err instanceof AppError && !isTransport(err)) throw err;
        last = err;
        this.log.debug({ url: ep.display, err }, 'marathon request failed, trying the next endpoint');
      }
    }
    throw new AppError('MARATHON_UNREACHABLE', 'Failed to make a request to all Marathon endpoints', {
      cause: last,
      details: { urls: this.endpoints.map((e) => e.display), path },
    });
  }

  private async getFollowingRedirects(
    first: URL,
    ep: MarathonEndpoint,
    accept: string,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ response: IncomingMessage; finalUrl: URL }> {
    let url = first;
    for (let hop = 0; ; hop++) {
      const response = await this.get(url, accept, this.credentialsFor(url, ep), extraHeaders, signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status < 300 || status >= 400 || location === undefined) return { response, finalUrl: url };
      response.resume();
      if (hop >= MAX_REDIRECTS) {
        throw new AppError('MARATHON_REDIRECT', 'too many redirects from Marathon', { details: { url: url.href } });
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (err) {
        throw new AppError('MARATHON_REDIRECT', 'bad redirect location from Marathon', {
          cause: err,
          details: { url: url.href },
        });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new AppError('MARATHON_REDIRECT', 'redirect to a non-http URL', { details: { url: url.href } });
      }
      next.username = '';
      next.password = '';
      const credentials = this.credentialsFor(next, ep) !== undefined;
      this.log.info({ from: url.href, to: next.href, status, credentials }, 'following marathon redirect');
      url = next;
    }
  }

  /**
   * The Authorization header for a request to `url` (already without userinfo): the token or the
   * Basic credentials of the configured endpoint with that origin — `ep` first — or none at all.
   */
  private credentialsFor(url: URL, ep: MarathonEndpoint): string | undefined {
    const origin = url.origin;
    const match = ep.base.origin === origin ? ep : this.endpoints.find((e) => e.base.origin === origin);
    if (match === undefined) return undefined;
    return this.token !== undefined ? `token=${this.token}` : match.basicAuth;
  }

  /** One GET; resolves with the response once its headers are in (header timeout applies). */
  private get(
    url: URL,
    accept: string,
    auth: string | undefined,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Accept: accept, 'User-Agent': USER_AGENT, ...extraHeaders };
      if (auth !== undefined) headers['Authorization'] = auth;
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(url, { method: 'GET', headers, agent: false, ...(signal ? { signal } : {}) });
      let timer: NodeJS.Timeout | undefined;
      if (this.timeoutMs > 0) {
        timer = setTimeout(() => {
          req.destroy(
            new AppError('MARATHON_TIMEOUT', 'no response headers from Marathon in time', {
              details: { url: url.href, timeout_ms: this.timeoutMs },
            }),
          );
        }, this.timeoutMs);
      }
      req.once('response', (res) => {
        clearTimeout(timer);
        this.log.debug({ method: 'GET', url: url.href, status: res.statusCode }, 'marathon request completed');
        resolve(res);
      });
      req.once('error', (err) => {
        clearTimeout(timer);
        reject(
          err instanceof AppError || isAbortError(err)
            ? err
            : new AppError('MARATHON_TRANSPORT', `request to Marathon failed: ${err.message}`, {
                cause: err,
                details: { url: url.href },
              }),
        );
      });
      req.end();
    });
  }

  /**
   * Stream a body into `sink`, with the idle timeout (`timeoutMs`), the deadline for the whole body
   * (`bodyTimeoutMs`) and a size cap.
   */
  private async readBody(
    res: IncomingMessage,
    url: string,
    signal: AbortSignal | undefined,
    sink: (chunk: Buffer) => void,
  ): Promise<void> {
    let size = 0;
    const deadline = this.bodyTimeoutMs > 0 ? AbortSignal.timeout(this.bodyTimeoutMs) : undefined;
    const end = await consume(res, {
      idleMs: this.timeoutMs,
      signal: deadline === undefined ? signal : signal === undefined ? deadline : AbortSignal.any([signal, deadline]),
      onChunk: (chunk) => {
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          throw new AppError('MARATHON_BAD_RESPONSE', 'Marathon response is too large', {
            details: { url, max_bytes: this.maxBodyBytes },
          });
        }
        sink(chunk); // may throw the parser's MARATHON_BAD_RESPONSE, or what `onApp` threw
      },
    });
    switch (end.kind) {
      case 'end':
        return;
      case 'aborted':
        if (signal?.aborted) throw abortReason(signal);
        throw new AppError('MARATHON_TIMEOUT', 'Marathon response body did not complete in time', {
          details: { url, timeout_ms: this.bodyTimeoutMs, bytes: size },
        });
      case 'idle':
        throw new AppError('MARATHON_TIMEOUT', 'Marathon response body stalled', {
          details: { url, timeout_ms: this.timeoutMs },
        });
      case 'thrown':
        throw end.error;
      case 'error':
        throw new AppError('MARATHON_TRANSPORT', 'reading the Marathon response failed', {
          cause: end.error,
          details: { url },
        });
      case 'closed':
        throw new AppError('MARATHON_TRANSPORT', 'Marathon closed the connection mid-response', { details: { url } });
    }
  }
}

function isTransport(err: AppError): boolean {
  return err.code === 'MARATHON_TRANSPORT' || err.code === 'MARATHON_TIMEOUT';
}

export { type MarathonEndpoint, parseMarathonUrls } from './endpoints.js';
