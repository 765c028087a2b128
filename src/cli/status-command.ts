/**
 * `marathon-acme status [--url URL] [--token T] [NAME]` and `marathon-acme renew [--url URL] [--token T] NAME`:
 * the operator API from a shell. `--url` defaults to $MARATHON_ACME_URL or http://127.0.0.1:8000, `--token`
 * to $MARATHON_ACME_API_TOKEN (sent as `Authorization: Bearer`; never printed).
 * Exit codes: 0 fine; 1 the server is unreachable or answered an error, a named certificate is failing
 * or expired, or a renewal was refused; 2 usage error.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../lib/errors.js';
import { redactUrl } from '../lib/urls.js';
import { FAILING_STATES, renderCertificate, renderTable, type ShownCertificate } from './status-render.js';
import type { CommandIo } from './token-command.js';

export const DEFAULT_URL = 'http://127.0.0.1:8000';
const TIMEOUT_MS = 10_000;
const STATUS_USAGE = 'usage: marathon-acme status [--url URL] [--token TOKEN] [NAME]';
const RENEW_USAGE = 'usage: marathon-acme renew [--url URL] [--token TOKEN] NAME';

interface Target {
  readonly url: string;
  readonly token?: string;
  readonly name?: string;
}

/** Flags and the one optional positional; undefined after printing a usage error or --help (`code`). */
function target(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo, usage: string): Target | number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.err(`${usage}\nerror: ${(err as Error).message}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`${usage}\n`);
    return 0;
  }
  if (parsed.positionals.length > 1) {
    io.err(`${usage}\nerror: at most one certificate name\n`);
    return 2;
  }
  const url = (parsed.values.url ?? env.MARATHON_ACME_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(url)) {
    io.err(`${usage}\nerror: argument --url: expected an http(s) URL\n`);
    return 2;
  }
  const token = parsed.values.token ?? env.MARATHON_ACME_API_TOKEN;
  return { url, ...(token ? { token } : {}), ...(parsed.positionals[0] ? { name: parsed.positionals[0] } : {}) };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}

async function call(t: Target, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(t.url + path, {
    method,
    headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'error',
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: shown as text */
  }
  return { status: res.status, body };
}

function errorOf(body: unknown): string {
  return typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : String(body);
}

export async function runStatusCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<number> {
  const t = target(argv, env, io, STATUS_USAGE);
  if (typeof t === 'number') return t;
  const path = t.name ? `/api/v1/certificates/${encodeURIComponent(t.name)}` : '/api/v1/certificates';
  return request(t, io, 'GET', path, (body) => {
    if (!t.name) {
      io.out(renderTable(body as ShownCertificate[]));
      return 0;
    }
    const c = body as ShownCertificate;
    io.out(renderCertificate(c));
    return FAILING_STATES.has(c.state) ? 1 : 0;
  });
}

export async function runRenewCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const t = target(argv, env, io, RENEW_USAGE);
  if (typeof t === 'number') return t;
  if (!t.name) {
    io.err(`${RENEW_USAGE}\nerror: the certificate NAME is required\n`);
    return 2;
  }
  return request(t, io, 'POST', `/api/v1/certificates/${encodeURIComponent(t.name)}/renew`, (body) => {
    io.out(`renewal of ${t.name} requested (event ${(body as { event_id: number }).event_id})\n`);
    return 0;
  });
}

/** One API call; a 2xx goes to `ok`, anything else is printed to stderr with exit 1. */
async function request(t: Target, io: CommandIo, method: string, path: string, ok: (body: unknown) => number) {
  let r: { status: number; body: unknown };
  try {
    r = await call(t, method, path);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message;
    io.err(`marathon-acme: cannot reach ${redactUrl(t.url)}: ${describeError(err).message}${why ? ` (${why})` : ''}\n`);
    return 1;
  }
  if (r.status >= 200 && r.status < 300) return ok(r.body);
  io.err(`marathon-acme: ${method} ${path}: HTTP ${r.status}: ${errorOf(r.body)}\n`);
  return 1;
}
