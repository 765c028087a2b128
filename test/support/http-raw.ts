/**
 * Raw HTTP/1.1 requests over a socket: the request target is sent byte for byte (fetch and http.request
 * normalise `..`, `%2e` and `//`, which is exactly what path tests must not do).
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** Send `METHOD target HTTP/1.1` with `Connection: close` and optional body; resolve with the parsed answer. */
export function rawRequest(
  port: number,
  target: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, opts.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    const headers = { Host: 'localhost', Connection: 'close', ...(opts.headers ?? {}) };
    const body = opts.body ?? '';
    if (body !== '') headers['Content-Length' as keyof typeof headers] = String(Buffer.byteLength(body));
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    sock.on('connect', () => sock.write(`${opts.method ?? 'GET'} ${target} HTTP/1.1\r\n${head}\r\n${body}`));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => sock.destroy(new Error(`no answer for ${target}`)));
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [h = '', ...rest] = text.split('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(h);
      if (!m) return reject(new Error(`no HTTP answer for ${target}: ${JSON.stringify(text.slice(0, 100))}`));
      resolve({ status: Number(m[1]), headers: h, body: rest.join('\r\n\r\n') });
    });
  });
}

/** The request targets that must never reach a route other than the challenge handler (all must be 404). */
export const TRAVERSALS: readonly string[] = [
  '/.well-known/acme-challenge/../api/v1/certificates',
  '/.well-known/acme-challenge/../../status',
  '/.well-known/acme-challenge/%2e%2e/api/v1/certificates',
  '/.well-known/acme-challenge/%2E%2E/status',
  '/.well-known/acme-challenge/..%2fapi%2fv1%2fcertificates',
  '/.well-known/acme-challenge/..%2Fstatus',
  '/.well-known/acme-challenge/%2e%2e%2fstatus',
  '/.well-known/acme-challenge//status',
  '/.well-known/acme-challenge/./tok',
  '/.well-known/acme-challenge/tok%2f..%2f..%2fstatus',
  '/.well-known/acme-challenge/..;/status',
  '/.well-known/acme-challenge/..\\status',
  '//api/v1/certificates',
  '/api//v1/certificates',
  '/api/v1/./certificates',
  '/%61pi/v1/certificates',
  '/api%2fv1%2fcertificates',
  '/api/v1/certificates/',
  '/status/',
  '/STATUS',
];
