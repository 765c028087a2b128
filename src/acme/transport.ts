/**
 * The one place that talks HTTP to the CA: node:https (Node's global fetch cannot take a per-call CA),
 * a per-request timeout, AbortSignal support, the User-Agent, metrics and a constant log line.
 *
 * TLS verification is never disabled: an extra CA (`ca`) is ADDED to Node's bundled roots; otherwise
 * Node's defaults apply (including NODE_EXTRA_CA_CERTS).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { AppError } from '../lib/errors.js';
import type { ErrorCode } from '../lib/error-codes.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { abortReason } from '../lib/abort.js';
import { redactUrl } from '../lib/urls.js';
import { VERSION } from '../version.js';
import { ACME_CODES } from './errors.js';

export const USER_AGENT = `marathon-acme/${VERSION}`;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
/** Answers larger than this are refused (a certificate chain is a few KB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface TransportOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Extra PEM CA(s) to trust in addition to the system roots. */
  ca?: string;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  /** ACME operation name for logs and metrics (`newOrder`, `finalize`, ...). */
  operation: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** First value of a header, lower-case name. */
  header(name: string): string | undefined;
  /** All values of the Link header with the given rel (RFC 8288). */
  links(rel: string): string[];
}

/** Minimal HTTP(S) client for ACME. `close()` releases keep-alive sockets. */
export class Transport {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly timeoutMs: number;

  constructor(private readonly opts: TransportOptions) {
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      // `ca` replaces the trust store in Node, so keep the bundled roots beside the extra CA. Built once as
      // a secure context: passed as `ca`, the agent would concatenate every root into its pool key on each
      // request (~200 KB of strings per request, measured) and re-parse them on each connection.
      ...(opts.ca ? { secureContext: tls.createSecureContext({ ca: [...tls.rootCertificates, opts.ca] }) } : {}),
    });
  }

  /**
   * Send one request. Resolves with any HTTP status (the caller interprets problems); rejects with
   * AppError ACME_NETWORK / ACME_TIMEOUT, or the signal's reason when `signal` fires.
   *
   * The metric/log `status` is the HTTP status, `timeout` (this request's own timeout), `network`, or
   * `aborted` whenever the caller's signal fired — whatever its reason (an order budget's ACME_TIMEOUT,
   * a failed sibling authorization): our own cancellations are never counted as CA failures.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const started = process.hrtime.bigint();
    let status = 'error';
    try {
      const res = await this.send(req);
      status = String(res.status);
      return res;
    } catch (err) {
      status = req.signal?.aborted
        ? 'aborted'
        : err instanceof AppError && err.code === ACME_CODES.timeout
          ? 'timeout'
          : 'network';
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.opts.metrics?.acmeRequestDuration.observe({ operation: req.operation, status }, seconds);
      this.opts.logger.debug(
        { operation: req.operation, url: redactUrl(req.url), status, duration_ms: Math.round(seconds * 1000) },
        'acme request',
      );
    }
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private send(req: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      if (req.signal?.aborted) return reject(abortReason(req.signal));
      const url = new URL(req.url);
      const isHttps = url.protocol === 'https:';
      // RFC 8555 §6.1: HTTPS only. Plain http is allowed to loopback (local test CAs, sidecar proxies).
      if (!isHttps && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
        return reject(requestError(ACME_CODES.insecureUrl, 'ACME URL must be https', req));
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-language': 'en', ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const mod = isHttps ? https : http;
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const r = mod.request(
        url,
        { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY_BYTES) {
              r.destroy();
              finish(() => reject(requestError(ACME_CODES.badResponse, 'ACME response too large', req)));
            } else chunks.push(c);
          });
          res.on('error', (err) => finish(() => reject(networkError(err, req))));
          res.on('end', () => finish(() => resolve(makeResponse(res, Buffer.concat(chunks)))));
        },
      );
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            new AppError(ACME_CODES.timeout, 'ACME request timed out', {
              details: { url: redactUrl(req.url), operation: req.operation, timeout_ms: this.timeoutMs },
            }),
          ),
        );
        r.destroy();
      }, this.timeoutMs);
      const onAbort = (): void => {
        finish(() => reject(abortReason(req.signal!)));
        r.destroy();
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      r.on('error', (err) => finish(() => reject(networkError(err, req))));
      r.end(req.body);
    });
  }
}

function requestError(code: ErrorCode, message: string, req: HttpRequest): AppError {
  return new AppError(code, message, { details: { url: redactUrl(req.url), operation: req.operation } });
}

function networkError(err: Error, req: HttpRequest): AppError {
  return new AppError(ACME_CODES.network, 'ACME request failed', {
    cause: err,
    details: { url: redactUrl(req.url), operation: req.operation },
  });
}

function makeResponse(res: http.IncomingMessage, body: Buffer): HttpResponse {
  const headers = res.headers;
  return {
    status: res.statusCode ?? 0,
    headers,
    body,
    header(name: string): string | undefined {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
    links(rel: string): string[] {
      return parseLinks(headers['link'])
        .filter((l) => l.rel === rel)
        .map((l) => l.url);
    },
  };
}

/** Parse RFC 8288 Link header values: `<url>;rel="up", <url2>;rel="alternate"`. */
export function parseLinks(raw: string | string[] | undefined): { url: string; rel: string }[] {
  if (raw === undefined) return [];
  const values = Array.isArray(raw) ? raw : [raw];
  const out: { url: string; rel: string }[] = [];
  for (const value of values) {
    for (const m of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
      const rel = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(m[2] ?? '');
      if (rel?.[1]) for (const r of rel[1].split(/\s+/)) out.push({ url: m[1]!, rel: r });
    }
  }
  return out;
}
