/**
 * The agent's side of the feed: HTTPS requests to the daemon's `--sync-listen`, with the server's
 * certificate checked BEFORE the token is sent: `--server-ca` (chain and host name verified), and/or
 * `--server-fingerprint` (the SHA-256 of the leaf certificate's DER must match; with a fingerprint alone
 * the chain is not verified, the pin is the trust), else the system's CAs.
 *
 * Errors are AppErrors: `SYNC_PIN_MISMATCH` (the server is not the one pinned or does not verify),
 * `SYNC_UNAUTHORIZED` (401/403), `SYNC_UNREACHABLE` (connection, timeout, 5xx, 503 before the server's
 * first scan), `SYNC_BAD_ANSWER` (an answer of the wrong shape). Never logs the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { AppError } from '../lib/errors.js';

export interface SyncSnapshot {
  readonly epoch: string;
  readonly version: number;
  readonly certificates: readonly { readonly name: string; readonly sha256: string }[];
  readonly default: string | null;
}

export interface ClientTls {
  readonly ca?: string;
  readonly fingerprint?: Buffer;
}

const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

export class SyncClient {
  constructor(
    private readonly token: string,
    private readonly tls: ClientTls,
  ) {}

  /** The snapshot; with `epoch`/`since`, a long-poll of up to `waitSeconds`. */
  async snapshot(
    server: string,
    epoch: string | undefined,
    since: number,
    waitSeconds: number,
    signal: AbortSignal,
  ): Promise<SyncSnapshot> {
    const q = epoch !== undefined ? `?epoch=${encodeURIComponent(epoch)}&since=${since}&wait=${waitSeconds}` : '';
    const body = await this.call(server, 'GET', `/sync/v1/snapshot${q}`, undefined, (waitSeconds + 15) * 1000, signal);
    return parseSnapshot(body);
  }

  /** The bundles of `names` (null: the server does not serve it now). */
  async bundles(server: string, names: readonly string[], signal: AbortSignal): Promise<Map<string, string | null>> {
    const body = await this.call(server, 'POST', '/sync/v1/bundles', JSON.stringify({ names }), 60_000, signal);
    const v = parseJson(body) as { bundles?: Record<string, unknown> };
    if (typeof v.bundles !== 'object' || v.bundles === null) throw bad('no bundles object');
    const out = new Map<string, string | null>();
    for (const n of names) {
      const t = v.bundles[n];
      out.set(n, typeof t === 'string' ? t : null);
    }
    return out;
  }

  /** The server's default.pem, or null when it has none (404). */
  async defaultPem(server: string, signal: AbortSignal): Promise<string | null> {
    try {
      return await this.call(server, 'GET', '/sync/v1/default', undefined, 30_000, signal);
    } catch (err) {
      if (err instanceof AppError && err.details?.status === 404) return null;
      throw err;
    }
  }

  private async call(
    server: string,
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<string> {
    const url = new URL(server);
    const socket = await this.connect(url, signal);
    return new Promise<string>((resolve, reject) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.token}`,
        host: url.host,
        connection: 'close',
      };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const req = request(
        { method, path, headers, createConnection: () => socket, timeout: timeoutMs, signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(bad('answer too large'));
            else chunks.push(c);
          });
          res.on('error', (err) => reject(unreachable(server, err)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status === 200) return resolve(text);
            if (status === 401 || status === 403)
              return reject(
                new AppError('SYNC_UNAUTHORIZED', 'the sync feed refused the token', { details: { server, status } }),
              );
            if (status >= 500) return reject(unreachable(server, undefined, status));
            reject(
              new AppError('SYNC_BAD_ANSWER', 'unexpected answer from the sync feed', { details: { server, status } }),
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => reject(err instanceof AppError ? err : unreachable(server, err)));
      req.end(body);
    });
  }

  /** A TLS connection whose peer passed the checks; nothing is sent before. */
  private connect(url: URL, signal: AbortSignal): Promise<TLSSocket> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const pinOnly = this.tls.fingerprint !== undefined && this.tls.ca === undefined;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port: Number(url.port || 443),
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(this.tls.ca !== undefined ? { ca: this.tls.ca } : {}),
        rejectUnauthorized: !pinOnly,
        ALPNProtocols: ['http/1.1'],
      });
      const onAbort = (): void => {
        socket.destroy(new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => socket.destroy(new Error('TLS connect timed out')), CONNECT_TIMEOUT_MS);
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      socket.once('secureConnect', () => {
        settle();
        const pin = this.tls.fingerprint;
        if (pin) {
          const der = socket.getPeerCertificate().raw;
          const got = der ? createHash('sha256').update(der).digest() : Buffer.alloc(32);
          if (!timingSafeEqual(got, pin)) {
            socket.destroy();
            return reject(pinMismatch(url.origin, got.toString('hex')));
          }
        }
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        settle();
        const tlsProblem = typeof err.code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT/.test(err.code);
        reject(tlsProblem ? pinMismatch(url.origin, undefined, err) : unreachable(url.origin, err));
      });
    });
  }
}

/** The snapshot's shape checked: names unique non-empty strings, hex fingerprints, integer version. */
export function parseSnapshot(text: string): SyncSnapshot {
  const v = parseJson(text) as Partial<SyncSnapshot>;
  const hex = (s: unknown): boolean => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
  if (typeof v.epoch !== 'string' || v.epoch === '' || !Number.isSafeInteger(v.version) || (v.version as number) < 1)
    throw bad('epoch or version missing');
  if (!Array.isArray(v.certificates)) throw bad('certificates is not a list');
  const seen = new Set<string>();
  for (const c of v.certificates as unknown[]) {
    const e = c as { name?: unknown; sha256?: unknown };
    if (typeof e?.name !== 'string' || !hex(e.sha256) || seen.has(e.name))
      throw bad('a certificate entry is malformed');
    seen.add(e.name);
  }
  if (v.default !== null && !hex(v.default)) throw bad('default is not a fingerprint');
  return {
    epoch: v.epoch,
    version: v.version as number,
    certificates: (v.certificates as { name: string; sha256: string }[]).map((c) => ({
      name: c.name,
      sha256: c.sha256,
    })),
    default: v.default ?? null,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError('SYNC_BAD_ANSWER', 'the sync feed answered something that is not JSON', { cause: err });
  }
}

function bad(what: string): AppError {
  return new AppError('SYNC_BAD_ANSWER', `the sync feed's answer is malformed: ${what}`);
}

function unreachable(server: string, cause?: unknown, status?: number): AppError {
  return new AppError('SYNC_UNREACHABLE', 'the sync feed cannot be reached', {
    cause,
    details: { server, ...(status ? { status } : {}) },
  });
}

function pinMismatch(server: string, got?: string, cause?: unknown): AppError {
  return new AppError(
    'SYNC_PIN_MISMATCH',
    "the sync feed's certificate is not the one trusted (--server-fingerprint / --server-ca)",
    {
      cause,
      details: { server, ...(got ? { presented_sha256: got } : {}) },
    },
  );
}
