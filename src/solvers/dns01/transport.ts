/**
 * Sending one DNS message to one server and reading its answer: UDP first, TCP when the answer is
 * truncated (RFC 7766). An answer must carry the question's ID; anything else is ignored until the
 * timeout. A server that does not answer (timeout, connection refused, unreachable) is a
 * `DNS_UNREACHABLE` DnsError marked `outage: true`, which the reconciler waits out.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { connect } from 'node:net';
import { AppError } from '../../lib/errors.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** A DNS server: host (IP address or name) and port. */
export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

/** An AppError of DNS-01; `outage` marks a server that did not answer (not the certificate's fault). */
export class DnsError extends AppError {
  readonly outage: boolean;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, opts);
    this.outage = code === 'DNS_UNREACHABLE';
  }
}

/** `host[:port]`, `[v6]:port` or a bare IPv6 address, default port 53. Returns null when unusable. */
export function parseServer(raw: string, defaultPort = 53): DnsServer | null {
  const s = raw.trim();
  if (s === '') return null;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return withPort(v6[1]!, v6[2], defaultPort);
  if (isIP(s) === 6) return { host: s, port: defaultPort };
  const i = s.lastIndexOf(':');
  if (i < 0) return withPort(s, undefined, defaultPort);
  return withPort(s.slice(0, i), s.slice(i + 1), defaultPort);
}

function withPort(host: string, port: string | undefined, def: number): DnsServer | null {
  if (host === '' || /[\s/]/.test(host)) return null;
  if (port === undefined) return { host, port: def };
  if (!/^\d{1,5}$/.test(port)) return null;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : null;
}

export const serverText = (s: DnsServer): string =>
  s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;

function unreachable(server: DnsServer, cause: unknown): DnsError {
  return new DnsError('DNS_UNREACHABLE', 'DNS server did not answer', {
    cause,
    details: { server: serverText(server) },
  });
}

/**
 * One exchange with `server`: `open(settle)` starts it and returns how to close its socket; `settle` ends it
 * once with an answer or an error. Shared by UDP and TCP: the timeout (as an unreachable server), the
 * caller's abort, and closing the socket whatever happens.
 */
function exchangeWith(
  server: DnsServer,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  open: (settle: (err: unknown, msg?: Buffer) => void) => () => void,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let close: (() => void) | undefined;
    let settled = false;
    const settle = (err: unknown, msg?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      close?.();
      if (msg) resolve(msg);
      else reject(err);
    };
    const onAbort = (): void => settle(signal!.reason);
    const timer = setTimeout(
      () => settle(unreachable(server, new Error(`no answer within ${timeoutMs} ms`))),
      timeoutMs,
    );
    if (signal?.aborted) return settle(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    close = open(settle);
    if (settled) close();
  });
}

/** Send `wire` over UDP and resolve with the first answer carrying the same ID. */
export function exchangeUdp(server: DnsServer, wire: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  const id = wire.readUInt16BE(0);
  return exchangeWith(server, timeoutMs, signal, (settle) => {
    const sock = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    sock.on('error', (err) => settle(unreachable(server, err)));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) settle(undefined, msg);
    });
    sock.send(wire, server.port, server.host, (err) => {
      if (err) settle(unreachable(server, err));
    });
    return () => sock.close();
  });
}

/** Send `wire` over TCP (two-octet length prefix) and resolve with the answer. */
export function exchangeTcp(server: DnsServer, wire: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  return exchangeWith(server, timeoutMs, signal, (settle) => {
    const sock = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let size = 0;
    sock.on('error', (err) => settle(unreachable(server, err)));
    sock.on('connect', () => sock.write(Buffer.concat([Buffer.from([wire.length >> 8, wire.length & 0xff]), wire])));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size < 2) return;
      const all = Buffer.concat(chunks);
      const len = all.readUInt16BE(0);
      if (all.length >= 2 + len) settle(undefined, all.subarray(2, 2 + len));
    });
    sock.on('end', () => settle(unreachable(server, new Error('connection closed before the answer'))));
    return () => sock.destroy();
  });
}

/** UDP, then TCP when the UDP answer has TC set. */
export async function exchange(
  server: DnsServer,
  wire: Buffer,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const answer = await exchangeUdp(server, wire, timeoutMs, signal);
  if ((answer.readUInt16BE(2) & 0x0200) === 0) return answer;
  return exchangeTcp(server, wire, timeoutMs, signal);
}
