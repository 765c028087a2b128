/**
 * argv + environment -> Config. Every 0.6.1 flag keeps its name, meaning and default (except the dead
 * ACME v1 directory); every flag can also come from `MARATHON_ACME_<FLAG_IN_UPPER_SNAKE>`; a flag on
 * the command line wins over the environment. Usage errors are `UsageError` (exit 2, one line).
 */
import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { KEY_TYPES, type KeyType } from '../domain/types.js';
import { normalizeSuffix } from '../domain/names.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../lib/logger.js';
import { DEFAULTS, parseListen, upgradeAcmeUrl, type Config } from '../config/config.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Kind = 'string' | 'boolean' | 'seconds' | 'int' | 'fraction';
interface Option {
  readonly name: string;
  readonly short?: string;
  readonly kind: Kind;
  readonly metavar?: string;
  readonly help: string;
  readonly choices?: readonly string[];
  /** Shown in --help; the value itself is applied in `build()`. */
  readonly default?: string | number;
  /** Secret values are never echoed (help, logs). */
  readonly secret?: boolean;
}

/** The option table: the order is the order of --help. */
export const OPTIONS: readonly Option[] = [
  {
    name: 'acme',
    short: 'a',
    kind: 'string',
    metavar: 'ACME',
    default: DEFAULTS.acme,
    help: 'The address for the ACME Directory Resource. An ACME v1 (acme-v01) URL is mapped to its v2 equivalent',
  },
  {
    name: 'email',
    short: 'e',
    kind: 'string',
    metavar: 'EMAIL',
    help: 'An email address to register with the ACME service (optional)',
  },
  {
    name: 'marathon',
    short: 'm',
    kind: 'string',
    metavar: 'MARATHON[,MARATHON,...]',
    default: DEFAULTS.marathon,
    help: "The addresses for the Marathon HTTP API, tried in order. user:pass@ in a URL is sent as Basic auth. 'none' disables Marathon (static --domains only)",
  },
  {
    name: 'lb',
    short: 'l',
    kind: 'string',
    metavar: 'LB[,LB,...]',
    default: DEFAULTS.lb,
    help: "The addresses for the marathon-lb HTTP API, all signalled after changes. 'none' disables signalling",
  },
  {
    name: 'group',
    short: 'g',
    kind: 'string',
    metavar: 'GROUP',
    default: DEFAULTS.group,
    help: 'The marathon-lb group to issue certificates for',
  },
  {
    name: 'allow-multiple-certs',
    kind: 'boolean',
    help: 'Allow multiple certificates for a single app port. This allows multiple domains for an app, but is not recommended (see --san)',
  },
  {
    name: 'listen',
    kind: 'string',
    metavar: 'LISTEN',
    default: DEFAULTS.listen,
    help: 'The address for the port to listen on: [ipaddress]:port',
  },
  {
    name: 'marathon-timeout',
    kind: 'seconds',
    metavar: 'MARATHON_TIMEOUT',
    default: DEFAULTS.marathonTimeout,
    help: 'Amount of time in seconds to wait for HTTP response headers to be received for all requests to Marathon. Set to 0 to disable',
  },
  {
    name: 'sse-timeout',
    kind: 'seconds',
    metavar: 'SSE_TIMEOUT',
    default: DEFAULTS.sseTimeout,
    help: 'Amount of time in seconds to wait for some event data to be received from Marathon. Set to 0 to disable',
  },
  {
    name: 'log-level',
    kind: 'string',
    metavar: '{debug,info,warn,error,critical}',
    choices: ['debug', 'info', 'warn', 'error', 'critical', 'trace'],
    default: DEFAULTS.logLevel,
    help: 'The minimum severity level to log messages at',
  },
  {
    name: 'log-format',
    kind: 'string',
    metavar: '{text,json}',
    choices: ['text', 'json'],
    help: 'Log line format (default: text on a terminal, json otherwise)',
  },
  {
    name: 'domains',
    kind: 'string',
    metavar: 'CERTS',
    help: "Static certificates, besides Marathon's: ';' separates certificates, ',' or spaces separate the names of one certificate (first = file name), e.g. 'example.com,www.example.com;api.example.com'",
  },
  {
    name: 'san',
    kind: 'boolean',
    help: 'Make all names of one MARATHON_ACME_{n}_DOMAIN label one certificate with several names (SAN), instead of the first name only. A label MARATHON_ACME_{n}_SAN=true|false overrides it per port',
  },
  {
    name: 'allowed-domains',
    kind: 'string',
    metavar: 'SUFFIX[,SUFFIX,...]',
    help: 'Only names equal to or under these domains may be requested (multi-tenant clusters); others are rejected and reported. An entry that is not a domain name (a URL, a port) is a usage error',
  },
  {
    name: 'remove-after',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.removeAfter,
    help: 'Grace period before a certificate no app wants any more is archived out of certs/',
  },
  {
    name: 'revoke-removed',
    kind: 'boolean',
    help: 'Revoke certificates when they are removed (reason: cessationOfOperation)',
  },
  {
    name: 'max-removal-fraction',
    kind: 'fraction',
    metavar: 'FRACTION',
    default: DEFAULTS.maxRemovalFraction,
    help: 'Hold removals (until released by an operator) when one plan would remove more than this fraction of managed certificates. 1 disables the guard',
  },
  {
    name: 'key-type',
    kind: 'string',
    metavar: `{${KEY_TYPES.join(',')}}`,
    choices: KEY_TYPES,
    default: DEFAULTS.keyType,
    help: 'Private key type of new certificates',
  },
  {
    name: 'profile',
    kind: 'string',
    metavar: 'PROFILE',
    help: "ACME certificate profile to request (e.g. Let's Encrypt 'tlsserver' for 45-day or 'shortlived' for 6-day certificates), if the CA offers it",
  },
  {
    name: 'preferred-chain',
    kind: 'string',
    metavar: 'ISSUER_CN',
    help: 'Prefer the alternate chain whose top certificate is issued by this common name',
  },
  {
    name: 'eab-kid',
    kind: 'string',
    metavar: 'KID',
    help: 'External Account Binding key identifier (CAs that require EAB)',
  },
  {
    name: 'eab-hmac-key',
    kind: 'string',
    metavar: 'KEY',
    secret: true,
    help: 'External Account Binding HMAC key, base64url (prefer the environment variable MARATHON_ACME_EAB_HMAC_KEY)',
  },
  {
    name: 'max-concurrent-orders',
    kind: 'int',
    metavar: 'N',
    default: DEFAULTS.maxConcurrentOrders,
    help: 'Certificate orders running at the same time',
  },
  {
    name: 'resync-interval',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.resyncInterval,
    help: 'Re-read all Marathon apps at least this often, events or not',
  },
  {
    name: 'order-budget',
    kind: 'int',
    metavar: 'N',
    default: DEFAULTS.orderBudget,
    help: "New orders allowed per account per 3 hours, ARI renewals exempt (Let's Encrypt allows 300); excess work waits instead of being refused. 0 disables the budget",
  },
  {
    name: 'backoff-min',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.backoffMin,
    help: "First retry delay after a failed order; it doubles per failure (with jitter), up to --backoff-max. The CA's Retry-After always wins when longer",
  },
  {
    name: 'backoff-max',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.backoffMax,
    help: 'Longest retry delay after failed orders',
  },
  {
    name: 'acme-ca-cert',
    kind: 'string',
    metavar: 'FILE',
    help: 'PEM file of a CA to trust for the ACME server (a private CA, Pebble); NODE_EXTRA_CA_CERTS works too. TLS verification is never disabled',
  },
  {
    name: 'marathon-token',
    kind: 'string',
    metavar: 'TOKEN',
    secret: true,
    help: 'DC/OS authentication token for Marathon, sent as "Authorization: token=..." (prefer MARATHON_ACME_MARATHON_TOKEN)',
  },
  {
    name: 'haproxy-socket',
    kind: 'string',
    metavar: 'PATH',
    help: 'HAProxy (>= 2.2) admin stats socket: update certificates over the runtime API, without a reload',
  },
  {
    name: 'haproxy-certs-dir',
    kind: 'string',
    metavar: 'PATH',
    help: "With --haproxy-socket: the certs directory as HAProxy names it in its 'crt' line, when HAProxy mounts the storage at another path (default: <storage-dir>/certs)",
  },
  {
    name: 'haproxy-master-socket',
    kind: 'string',
    metavar: 'PATH',
    help: 'HAProxy master CLI socket (haproxy -W -S PATH): with --haproxy-socket, reload through it when the runtime API refuses a change',
  },
  {
    name: 'notify-command',
    kind: 'string',
    metavar: 'COMMAND',
    help: 'Command run after each batch of certificate changes, split on spaces, run without a shell; changed names are in MARATHON_ACME_WRITTEN / MARATHON_ACME_REMOVED',
  },
  {
    name: 'storage-group',
    kind: 'int',
    metavar: 'GID',
    help: 'Group id given to written files and directories, so an HAProxy running as another user can read them (files 0640, directories 0750)',
  },
  { name: 'version', kind: 'boolean', help: "show program's version number and exit" },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help message and exit' },
];

/** `--foo-bar` -> `MARATHON_ACME_FOO_BAR`. */
export function envName(option: string): string {
  return `MARATHON_ACME_${option.toUpperCase().replace(/-/g, '_')}`;
}
export const STORAGE_DIR_ENV = 'MARATHON_ACME_STORAGE_DIR';

export type ParseResult = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config; warnings: string[] };

/** Parse argv (without node and script) and env. Throws UsageError on bad input. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  const spec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of OPTIONS)
    spec[o.name] = o.short
      ? { type: o.kind === 'boolean' ? 'boolean' : 'string', short: o.short }
      : { type: o.kind === 'boolean' ? 'boolean' : 'string' };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(usageMessage(err));
  }
  if (parsed.values.help) return { kind: 'help' };
  if (parsed.values.version) return { kind: 'version' };
  if (parsed.positionals.length > 1)
    throw new UsageError(`unrecognized arguments: ${parsed.positionals.slice(1).join(' ')}`);
  const raw = (name: string): string | boolean | undefined => {
    const v = parsed.values[name];
    if (v !== undefined) return v;
    const e = env[envName(name)];
    return e === undefined ? undefined : e;
  };
  const storageDir = parsed.positionals[0] ?? env[STORAGE_DIR_ENV];
  if (!storageDir) throw new UsageError('the following arguments are required: storage-dir');
  return build(storageDir, raw);
}

function usageMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unrecognized arguments: ${unknown[1]}`;
  return msg.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
}

function build(storageDir: string, raw: (name: string) => string | boolean | undefined): ParseResult {
  const warnings: string[] = [];
  const str = (name: string): string | undefined => {
    const v = raw(name);
    if (v === undefined || typeof v === 'boolean') return v === true ? '' : undefined;
    return v;
  };
  const bool = (name: string): boolean => {
    const v = raw(name);
    if (typeof v === 'boolean') return v;
    if (v === undefined) return false;
    if (/^(1|true|yes|on)$/i.test(v.trim())) return true;
    if (/^(0|false|no|off|)$/i.test(v.trim())) return false;
    throw new UsageError(`argument --${name}: invalid boolean value: '${v}'`);
  };
  const num = (name: string, kind: 'seconds' | 'int' | 'fraction', dflt?: number): number | undefined => {
    const v = str(name);
    if (v === undefined) return dflt;
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`argument --${name}: invalid ${kind === 'int' ? 'int' : 'float'} value: '${v}'`);
    if (kind === 'int' && (!Number.isInteger(n) || n < 0))
      throw new UsageError(`argument --${name}: invalid int value: '${v}'`);
    if (kind === 'fraction' && (n <= 0 || n > 1)) throw new UsageError(`argument --${name}: must be in (0, 1]: '${v}'`);
    return n;
  };
  const choice = <T extends string>(name: string, choices: readonly string[], dflt?: T): T | undefined => {
    const v = str(name);
    if (v === undefined) return dflt;
    if (!choices.includes(v))
      throw new UsageError(
        `argument --${name}: invalid choice: '${v}' (choose from ${choices.map((c) => `'${c}'`).join(', ')})`,
      );
    return v as T;
  };
  const list = (v: string | undefined): string[] =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);

  const acme = upgradeAcmeUrl(str('acme') ?? DEFAULTS.acme);
  if (acme.upgraded)
    warnings.push(
      `ACME v1 directory mapped to its v2 equivalent ${acme.url}: Let's Encrypt switched ACME v1 off in 2021`,
    );
  let listen: ReturnType<typeof parseListen>;
  try {
    listen = parseListen(str('listen') ?? DEFAULTS.listen, (h) => isIP(h) !== 0);
  } catch (err) {
    throw new UsageError(`argument --listen: ${(err as Error).message}`);
  }
  const lbRaw = str('lb') ?? DEFAULTS.lb;
  const eabKid = str('eab-kid');
  const eabKey = str('eab-hmac-key');
  if ((eabKid === undefined) !== (eabKey === undefined))
    throw new UsageError('arguments --eab-kid and --eab-hmac-key must be given together');
  const caFile = str('acme-ca-cert');
  if (caFile !== undefined) {
    try {
      readFileSync(caFile);
    } catch (err) {
      throw new UsageError(
        `argument --acme-ca-cert: cannot read '${caFile}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  const concurrency = num('max-concurrent-orders', 'int', DEFAULTS.maxConcurrentOrders)!;
  if (concurrency < 1) throw new UsageError(`argument --max-concurrent-orders: must be at least 1`);
  const backoff = {
    min: num('backoff-min', 'seconds', DEFAULTS.backoffMin)!,
    max: num('backoff-max', 'seconds', DEFAULTS.backoffMax)!,
  };
  if (backoff.min <= 0 || backoff.max < backoff.min)
    throw new UsageError('arguments --backoff-min and --backoff-max: need 0 < min <= max');
  const notify = str('notify-command');
  const format = choice<LogFormat>('log-format', ['text', 'json']);
  const config: Config = {
    storageDir,
    acme: acme.url,
    ...(nonEmpty(str('email')) ? { email: str('email')!.trim() } : {}),
    marathon:
      (str('marathon') ?? DEFAULTS.marathon).trim() === 'none' ? [] : list(str('marathon') ?? DEFAULTS.marathon),
    lb: lbRaw.trim() === 'none' ? [] : list(lbRaw),
    group: str('group') ?? DEFAULTS.group,
    allowMultipleCerts: bool('allow-multiple-certs'),
    listen,
    marathonTimeoutMs: Math.max(0, num('marathon-timeout', 'seconds', DEFAULTS.marathonTimeout)!) * 1000,
    sseTimeoutMs: Math.max(0, num('sse-timeout', 'seconds', DEFAULTS.sseTimeout)!) * 1000,
    logLevel: choice<LogLevel>('log-level', LOG_LEVELS, DEFAULTS.logLevel)!,
    logFormat: format ?? (process.stdout.isTTY ? 'text' : 'json'),
    domains: parseStaticDomains(str('domains') ?? ''),
    san: bool('san'),
    allowedDomains: allowedDomains(str('allowed-domains')),
    removeAfterMs: num('remove-after', 'seconds', DEFAULTS.removeAfter)! * 1000,
    revokeRemoved: bool('revoke-removed'),
    maxRemovalFraction: num('max-removal-fraction', 'fraction', DEFAULTS.maxRemovalFraction)!,
    keyType: choice<KeyType>('key-type', KEY_TYPES, DEFAULTS.keyType)!,
    ...(nonEmpty(str('profile')) ? { profile: str('profile')!.trim() } : {}),
    ...(nonEmpty(str('preferred-chain')) ? { preferredChain: str('preferred-chain')!.trim() } : {}),
    ...(eabKid !== undefined && eabKey !== undefined ? { eab: { kid: eabKid.trim(), hmacKey: eabKey.trim() } } : {}),
    maxConcurrentOrders: concurrency,
    resyncIntervalMs: Math.max(1, num('resync-interval', 'seconds', DEFAULTS.resyncInterval)!) * 1000,
    orderBudget: num('order-budget', 'int', DEFAULTS.orderBudget)!,
    backoffMinMs: backoff.min * 1000,
    backoffMaxMs: backoff.max * 1000,
    ...(caFile !== undefined ? { acmeCaCert: caFile } : {}),
    ...(nonEmpty(str('marathon-token')) ? { marathonToken: str('marathon-token')!.trim() } : {}),
    ...(nonEmpty(str('haproxy-socket')) ? { haproxySocket: str('haproxy-socket')!.trim() } : {}),
    ...(nonEmpty(str('haproxy-certs-dir')) ? { haproxyCertsDir: str('haproxy-certs-dir')!.trim() } : {}),
    ...(nonEmpty(str('haproxy-master-socket')) ? { haproxyMasterSocket: str('haproxy-master-socket')!.trim() } : {}),
    ...(nonEmpty(notify) ? { notifyCommand: notify!.trim().split(/\s+/) } : {}),
    ...(str('storage-group') !== undefined ? { storageGroup: num('storage-group', 'int')! } : {}),
  };
  return { kind: 'run', config: Object.freeze(config), warnings };
}

/**
 * `--allowed-domains` → normalised suffixes, the only place they are normalised (`normalizeSuffix`).
 * Fails closed: an entry that is not a domain (`https://example.com`, `example.com:443`) is a usage
 * error, never silently dropped — dropping every entry would leave an empty list, which allows all.
 * No value (or an empty one) means no restriction; a value with separators only is an error.
 */
export function allowedDomains(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const entries = value.split(',').map((s) => s.trim());
  const out: string[] = [];
  for (const entry of entries) {
    if (entry === '') continue;
    const s = normalizeSuffix(entry);
    if (s === null)
      throw new UsageError(`argument --allowed-domains: not a domain name: '${entry.replace(/[^\x20-\x7e]/g, '?')}'`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new UsageError('argument --allowed-domains: no domain given');
  return out;
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '';
}

/** `a,b;c` -> [[a,b],[c]]: ';' separates certificates, ',' or whitespace the names of one. */
export function parseStaticDomains(value: string): string[][] {
  return value
    .split(';')
    .map((cert) => cert.split(/[\s,]+/).filter((n) => n.length > 0))
    .filter((names) => names.length > 0);
}

/** The --help text, generated from the option table so it cannot drift. */
export function helpText(): string {
  const lines = [
    'usage: marathon-acme [options] storage-dir',
    '',
    'Automatically manage ACME certificates for Marathon apps',
    '',
    'positional arguments:',
    `  storage-dir           Path to directory for storing certificates (env ${STORAGE_DIR_ENV})`,
    '',
    'options (each can also be set from the environment variable shown):',
  ];
  for (const o of OPTIONS) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.metavar ? ` ${o.metavar}` : ''}`;
    const dflt = o.default !== undefined ? ` (default: ${o.default})` : '';
    const env = o.name === 'help' || o.name === 'version' ? '' : ` [${envName(o.name)}]`;
    lines.push(`  ${flag}`, `        ${o.help}${dflt}${env}`);
  }
  lines.push('', 'Labels: MARATHON_ACME_{n}_DOMAIN on an app port in the marathon-lb group; see docs/labels.md.');
  return `${lines.join('\n')}\n`;
}
