/**
 * `marathon-acme agent [options] DIR`: argv + environment → `AgentOptions`. Every flag can also come
 * from `MARATHON_ACME_AGENT_<FLAG>` (`--server` from `MARATHON_ACME_AGENT_SERVER`, DIR from
 * `MARATHON_ACME_AGENT_DIR`); the token itself may come from `MARATHON_ACME_AGENT_TOKEN` instead of
 * `--token-file`. The command line wins. Bad values are `UsageError`s (exit 2).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli/usage-error.js';
import { type ListenAddress, parseListen } from '../config/config.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../lib/logger.js';
import { redactUrl } from '../lib/urls.js';

export const AGENT_DEFAULTS = { lb: 'http://localhost:9090', listen: ':8001', logLevel: 'info' as LogLevel } as const;

export interface AgentOptions {
  readonly dir: string;
  /** https URLs of the daemon's feed (`--sync-listen`), tried in order. */
  readonly servers: readonly string[];
  /** The bearer token (a `sync` scope token); never logged. */
  readonly token: string;
  /** marathon-lb base URLs to signal; empty = none. */
  readonly lb: readonly string[];
  readonly notifyCommand?: readonly string[];
  /** PEM text of a CA to verify the server with. */
  readonly serverCa?: string;
  /** SHA-256 of the server's leaf certificate (DER), 32 bytes. */
  readonly serverFingerprint?: Buffer;
  readonly listen: ListenAddress;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

/** The flags: name → [metavar, help, default shown]. The order is the order of --help. */
export const AGENT_FLAGS: readonly (readonly [string, string, string, string?])[] = [
  ['server', 'URL[,URL...]', "the daemon's sync feed (its --sync-listen), https; several are tried in order"],
  ['token-file', 'FILE', 'file holding a token with the sync scope (or the token in MARATHON_ACME_AGENT_TOKEN)'],
  ['lb', 'LB[,LB...]', "marathon-lb URLs signalled after each batch of changes; 'none' disables", AGENT_DEFAULTS.lb],
  ['notify-command', 'COMMAND', 'command run after each batch (no shell); names in MARATHON_ACME_WRITTEN / _REMOVED'],
  ['server-ca', 'FILE', "PEM CA that signed the feed's certificate"],
  [
    'server-fingerprint',
    'SHA256',
    "SHA-256 of the feed's certificate (DER), hex with or without colons, as in the daemon's log and /status",
  ],
  ['listen', 'ADDR', '[ipaddress]:port of /health and /metrics', AGENT_DEFAULTS.listen],
  [
    'log-level',
    '{debug,info,warn,error,critical}',
    'the minimum severity level to log messages at',
    AGENT_DEFAULTS.logLevel,
  ],
  ['log-format', '{text,json}', 'log line format (default: text on a terminal, json otherwise)'],
];

export const AGENT_USAGE = 'usage: marathon-acme agent [options] DIR';

export function agentHelp(): string {
  const lines = [
    AGENT_USAGE,
    '',
    'Keep DIR (default.pem and certs/<name>.pem, the layout marathon-lb loads) in step with a marathon-acme',
    "daemon's --sync-listen feed, and signal the local load balancers once per batch of changes.",
    '',
    'positional arguments:',
    '  DIR                   the directory marathon-lb loads certificates from [MARATHON_ACME_AGENT_DIR]',
    '',
    'options (each can also be set from the environment variable shown):',
  ];
  for (const [name, metavar, help, dflt] of AGENT_FLAGS)
    lines.push(
      `      --${name} ${metavar}`,
      `        ${help}${dflt ? ` (default: ${dflt})` : ''} [${agentEnvName(name)}]`,
    );
  lines.push('  -h, --help', '        show this help message and exit', '');
  return lines.join('\n');
}

/** `--server` → `MARATHON_ACME_AGENT_SERVER`. */
export function agentEnvName(flag: string): string {
  return `MARATHON_ACME_AGENT_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** Parse; returns 'help' for --help. Throws UsageError. */
export function parseAgentArgs(argv: readonly string[], env: NodeJS.ProcessEnv, isTty = false): AgentOptions | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name] of AGENT_FLAGS) options[name] = { type: 'string' };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  if (parsed.values.help) return 'help';
  const get = (name: string): string | undefined =>
    (parsed.values[name] as string | undefined) ?? env[agentEnvName(name)];
  if (parsed.positionals.length > 1)
    throw new UsageError(`unrecognized arguments: ${parsed.positionals.slice(1).join(' ')}`);
  const dir = parsed.positionals[0] ?? env.MARATHON_ACME_AGENT_DIR;
  if (!dir) throw new UsageError('the following arguments are required: DIR');
  const fingerprint = get('server-fingerprint');
  const caFile = get('server-ca');
  return {
    dir,
    servers: serverUrls(get('server')),
    token: tokenOf(get('token-file'), env.MARATHON_ACME_AGENT_TOKEN),
    lb: lbUrls(get('lb') ?? AGENT_DEFAULTS.lb),
    ...(get('notify-command')?.trim() ? { notifyCommand: get('notify-command')!.trim().split(/\s+/) } : {}),
    ...(caFile !== undefined ? { serverCa: readOrUsage('--server-ca', caFile) } : {}),
    ...(fingerprint !== undefined ? { serverFingerprint: parseFingerprint(fingerprint) } : {}),
    listen: listenOf(get('listen') ?? AGENT_DEFAULTS.listen),
    logLevel: choice('log-level', get('log-level') ?? AGENT_DEFAULTS.logLevel, LOG_LEVELS),
    logFormat: choice('log-format', get('log-format') ?? (isTty ? 'text' : 'json'), ['text', 'json'] as const),
  };
}

/**
 * `--server-fingerprint`: 64 hex digits, optionally in colon-separated pairs (`AB:CD:...`, as openssl and
 * the daemon print it), any case → the 32 bytes. Throws UsageError.
 */
export function parseFingerprint(value: string): Buffer {
  const v = value.trim();
  const hex = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31}$/.test(v) ? v.replace(/:/g, '') : v;
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new UsageError(
      'argument --server-fingerprint: expected the SHA-256 as 64 hex digits, with or without colons',
    );
  return Buffer.from(hex, 'hex');
}

function serverUrls(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '')
    throw new UsageError(`argument --server is required (or ${agentEnvName('server')})`);
  return value.split(',').map((entry) => {
    const url = urlOrUndefined(entry.trim());
    if (
      url === undefined ||
      url.protocol !== 'https:' ||
      url.hostname === '' ||
      url.username !== '' ||
      url.password !== ''
    )
      throw new UsageError(
        `argument --server: not an https URL without credentials: '${redactUrl(entry.trim())}' (the feed carries private keys: TLS only)`,
      );
    return url.origin;
  });
}

function lbUrls(value: string): string[] {
  if (value.trim() === 'none') return [];
  return value.split(',').map((entry) => {
    const url = urlOrUndefined(entry.trim());
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
      throw new UsageError(`argument --lb: not an http(s) URL: '${redactUrl(entry.trim())}'`);
    return entry.trim();
  });
}

function tokenOf(file: string | undefined, envToken: string | undefined): string {
  const token = file !== undefined ? readOrUsage('--token-file', file).split(/\r?\n/)[0]!.trim() : envToken?.trim();
  if (!token)
    throw new UsageError('a token with the sync scope is required: --token-file FILE or MARATHON_ACME_AGENT_TOKEN');
  if (!/^[\x21-\x7e]{1,512}$/.test(token)) throw new UsageError('the token has characters a bearer token cannot have');
  return token;
}

function readOrUsage(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`argument ${flag}: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function listenOf(value: string): ListenAddress {
  try {
    return parseListen(value, (h) => isIP(h) !== 0);
  } catch (err) {
    throw new UsageError(`argument --listen: ${(err as Error).message}`);
  }
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`argument --${flag}: invalid choice: '${value}' (choose from ${allowed.join(', ')})`);
  return value as T;
}

function urlOrUndefined(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}
