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
 *   for `/v2/apps` it is also the body's idle timeout, so a stalled body cannot hang a sync forever.
 * - Non-200, a content type other than `application/json` / `text/event-stream`, bad JSON or no
 *   `apps` list is a typed `AppError` — never an empty app list.
 * - Redirects (3xx with Location) are followed, up to 3 — Marathon ≥1.7 standbys answer `/v2/events`
 *   with 302 to the leader (§1.4). Credentials are sent to the redirect target (same cluster; marathon-lb
 *   does the same with curl's unrestricted auth) unless that would downgrade https to http.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { AppError, isAbortError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { redactUrl, splitUserinfo } from '../../lib/urls.js';
import { abortReason } from '../../lib/abort.js';
import { AppsStreamParser } from './apps-stream.js';
import { consume } from './consume.js';

export interface MarathonEndpoint {
  /** Base URL without credentials, query or fragment. */
  readonly base: URL;
  /** The base path without trailing slash (`''` or e.g. `/marathon`); request paths are appended. */
  readonly basePath: string;
  /** Log-safe form (no credentials). */
  readonly display: string;
  /** `Basic ...` from the URL's userinfo, if any. */
  readonly basicAuth?: string;
}

/**
 * Parse `--marathon` (comma-separated string or list). Entries are trimmed; empty entries dropped.
 * Throws AppError CONFIG_INVALID for an entry that is not an http(s) URL.
 */
export function parseMarathonUrls(input: string | readonly string[]): MarathonEndpoint[] {
  const entries = (typeof input === 'string' ? input.split(',') : input.flatMap((s) => s.split(',')))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new AppError('CONFIG_INVALID', 'no Marathon URL given');
  return entries.map((entry) => {
    let parsed: URL;
    try {
      parsed = new URL(entry);
    } catch (err) {
      throw new AppError('CONFIG_INVALID', 'invalid Marathon URL', { cause: err, details: { url: redactUrl(entry) } });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new AppError('CONFIG_INVALID', 'Marathon URL must be http or https', {
        details: { url: redactUrl(entry) },
      });
    }
    const { url, authorization: basicAuth } = splitUserinfo(parsed);
    url.hash = '';
    url.search = '';
    const basePath = url.pathname.replace(/\/+$/, '');
    const display = `${url.protocol}//${url.host}${basePath}`;
    return basicAuth === undefined ? { base: url, basePath, display } : { base: url, basePath, display, basicAuth };
  });
}

export interface MarathonClientOptions {
  readonly urls: string | readonly string[];
  /** Response-header timeout in ms; 0 disables. Default 10 000 (`--marathon-timeout`). */
  readonly timeoutMs?: number;
  /** DC/OS ACS token: `Authorization: token=<token>`. */
  readonly token?: string;
  readonly logger: Logger;
  /** Largest accepted `/v2/apps` body in bytes (default 512 MiB). */
  readonly maxBodyBytes?: number;
}

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

  constructor(opts: MarathonClientOptions) {
    this.endpoints = parseMarathonUrls(opts.urls);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.logger;
    this.token = opts.token !== undefined && opts.token !== '' ? opts.token : undefined;
    this.maxBodyBytes = opts.maxBodyBytes ?? 512 * 1024 * 1024;
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
   * never held whole). Resolves with the number of apps once the WHOLE body was read and validated;
   * rejects like `getApps` — in which case the apps already delivered must be discarded (never treat
   * a partial reading as a snapshot).
   */
  async streamApps(onApp: (app: unknown) => void, signal?: AbortSignal): Promise<number> {
    const { response, url } = await this.requestWithFailover('/v2/apps', undefined, 'application/json', signal);
    const parser = new AppsStreamParser(onApp, { url });
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
          this.log.warn({ url, status: res.response.statusCode }, 'marathon server error, trying the next endpoint');
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
        this.log.warn({ url: ep.display, err }, 'marathon request failed, trying the next endpoint');
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
    let auth = this.token !== undefined ? `token=${this.token}` : ep.basicAuth;
    for (let hop = 0; ; hop++) {
      const response = await this.get(url, accept, auth, extraHeaders, signal);
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
      if (url.protocol === 'https:' && next.protocol === 'http:') auth = undefined;
      next.username = '';
      next.password = '';
      this.log.info({ from: url.href, to: next.href, status }, 'following marathon redirect');
      url = next;
    }
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
            : new AppError('MARATHON_TRANSPORT', 'request to Marathon failed', {
                cause: err,
                details: { url: url.href },
              }),
        );
      });
      req.end();
    });
  }

  /** Stream a body into `sink`, with the idle timeout (`timeoutMs`) and a size cap. */
  private async readBody(
    res: IncomingMessage,
    url: string,
    signal: AbortSignal | undefined,
    sink: (chunk: Buffer) => void,
  ): Promise<void> {
    let size = 0;
    const end = await consume(res, {
      idleMs: this.timeoutMs,
      signal,
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
        throw abortReason(signal!);
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

function statusError(res: IncomingMessage, url: string): AppError {
  const status = res.statusCode ?? 0;
  const kind = status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'Unexpected status';
  return new AppError('MARATHON_HTTP_STATUS', `${status} ${kind} for url: ${url}`, { details: { url, status } });
}

/**
 * Exactly 200 (0.6.1 rejected even 202 on the stream), and the expected media type, parameters
 * ignored; a repeated header counts by its LAST value (0.6.1 `get_single_header`).
 */
function checkResponse(res: IncomingMessage, url: string, expected: string): void {
  if (res.statusCode !== 200) {
    res.resume();
    throw statusError(res, url);
  }
  const ct = lastHeader(res, 'content-type');
  if (ct === undefined) {
    res.resume();
    throw new AppError(
      'MARATHON_BAD_CONTENT_TYPE',
      `Expected header "Content-Type" to be "${expected}" but header not found in response`,
      { details: { url } },
    );
  }
  const media = ct.split(';')[0]!.trim().toLowerCase();
  if (media !== expected) {
    res.resume();
    throw new AppError(
      'MARATHON_BAD_CONTENT_TYPE',
      `Expected header "Content-Type" to be "${expected}" but found "${ct}" instead`,
      { details: { url } },
    );
  }
}

/** The last raw value of a header (Node keeps only the first Content-Type in `headers`). */
function lastHeader(res: IncomingMessage, name: string): string | undefined {
  let value: string | undefined;
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) value = raw[i + 1];
  return value;
}
