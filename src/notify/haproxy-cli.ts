/**
 * One command on an HAProxy CLI socket (stats socket or master socket), non-interactive: connect,
 * send the line (and a `<<` payload), half-close, read until HAProxy closes. One connection per
 * command keeps failures independent (HAProxy management guide, "Unix Socket commands").
 */
import { createConnection, type Socket } from 'node:net';
import { AppError } from '../lib/errors.js';

export interface CliOptions {
  /** Multi-line payload sent after `<<` (HAProxy ends it at the first empty line; blank lines are dropped). */
  readonly payload?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Run `command` on `socket` (a unix socket path, or `host:port` for a TCP CLI) and return the
 * answer text. Rejects with `HAPROXY_CLI_FAILED` on connection errors and timeouts (not on answers
 * HAProxy gives: the caller interprets those), or with the abort reason.
 */
export function haproxyCommand(socket: string, command: string, options: CliOptions = {}): Promise<string> {
  if (/[\r\n]/.test(command))
    return Promise.reject(new AppError('HAPROXY_CLI_FAILED', 'CLI command contains a newline'));
  const text = options.payload === undefined ? `${command}\n` : `${command} <<\n${payloadLines(options.payload)}\n`;
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    const chunks: Buffer[] = [];
    const fail = (err: unknown): void => {
      cleanup();
      conn.destroy();
      reject(
        options.signal?.aborted
          ? options.signal.reason
          : new AppError('HAPROXY_CLI_FAILED', 'HAProxy CLI command failed', { cause: err, details: { socket } }),
      );
    };
    const timer = setTimeout(() => fail(new Error('timeout')), options.timeoutMs ?? 5000);
    const onAbort = (): void => fail(options.signal?.reason);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return fail(options.signal.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    conn.on('connect', () => conn.end(text));
    conn.on('data', (d: Buffer) => chunks.push(d));
    conn.on('error', fail);
    conn.on('close', () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function connect(socket: string): Socket {
  const tcp = /^([\w.-]+):(\d+)$/.exec(socket);
  return tcp ? createConnection({ host: tcp[1]!, port: Number(tcp[2]) }) : createConnection({ path: socket });
}

/** The payload without blank lines, ending in exactly one newline. */
function payloadLines(payload: string): string {
  return `${payload
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0)
    .join('\n')}\n`;
}
