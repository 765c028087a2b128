/**
 * argv + environment -> Config. Defaults come from `config/config.ts`'s `DEFAULTS`; usage errors are
 * `UsageError` (exit 2, one line). Flags are read in a fixed order, so with several bad flags the
 * same one is reported every time.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { type Config, DEFAULTS, defaultInstanceId, parseListen } from '../config/config.js';
import { parseZkUrl, type ZkTarget } from '../config/zk-url.js';
import { KEY_TYPES, type KeyType } from '../domain/types.js';
import { parseTokensFile, type TokenEntry } from '../lib/tokens.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../lib/logger.js';
import { parseCas } from './cas.js';
import { dnsConfig } from './dns.js';
import { envName, type RawValue, rawLookup, storageDirOf } from './env.js';
import { OPTIONS } from './flags.js';
import { UsageError } from './usage-error.js';
import { allowedDomains, FlagValues, parseStaticDomains } from './values.js';

export type ParseResult = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config; warnings: string[] };

/** Parse argv (without node and script) and env. Throws UsageError on bad input. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  const spec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of OPTIONS)
    spec[o.name] = o.short
      ? { type: o.kind === 'boolean' ? 'boolean' : 'string', short: o.short }
      : { type: o.kind === 'boolean' ? 'boolean' : 'string' };
  let parsed: { values: Record<string, RawValue>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(usageMessage(err));
  }
  if (parsed.values.help) return { kind: 'help' };
  if (parsed.values.version) return { kind: 'version' };
  if (parsed.positionals.length > 1)
    throw new UsageError(`unrecognized arguments: ${parsed.positionals.slice(1).join(' ')}`);
  const storageDir = storageDirOf(parsed.positionals, env);
  if (!storageDir) throw new UsageError('the following arguments are required: storage-dir');
  const fromEnv = (name: string): string | undefined =>
    parsed.values[name] === undefined && env[envName(name)] !== undefined ? envName(name) : undefined;
  return build(storageDir, new FlagValues(rawLookup(parsed.values, env), fromEnv), env);
}

/** node:util's parseArgs message, worded as 0.6.1's argparse did. */
function usageMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unrecognized arguments: ${unknown[1]}`;
  return msg.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
}

function build(storageDir: string, v: FlagValues, env: NodeJS.ProcessEnv): ParseResult {
  const warnings: string[] = [];
  const checked = checkedFlags(v);
  const certs = certificates(v);
  const first = {
    eab: checked.eab,
    profile: certs.profile,
    preferredChain: certs.preferredChain,
  };
  const cas = parseCas(v, env, first, warnings);
  const dns = dnsConfig(v, env);
  const config: Config = {
    storageDir,
    acme: cas[0]!.url,
    cas,
    ...connections(v, checked),
    ...certs,
    ...operations(v, checked),
    ...(dns !== undefined ? { dns } : {}),
    ...cluster(v, checked),
  };
  return { kind: 'run', config: Object.freeze(config), warnings };
}

/** The flags checked against each other or the file system before the rest are read. */
function checkedFlags(v: FlagValues) {
  let listen: ReturnType<typeof parseListen>;
  try {
    listen = parseListen(v.str('listen') ?? DEFAULTS.listen, (h) => isIP(h) !== 0);
  } catch (err) {
    throw new UsageError(`${v.label('listen')}: ${(err as Error).message}`);
  }
  const lb = v.httpUrls('lb', DEFAULTS.lb);
  const eabKid = v.str('eab-kid');
  const eabKey = v.base64url('eab-hmac-key');
  if ((eabKid === undefined) !== (eabKey === undefined))
    throw new UsageError('arguments --eab-kid and --eab-hmac-key must be given together');
  const caFile = readableFile(v, 'acme-ca-cert');
  const concurrency = v.num('max-concurrent-orders', 'int', DEFAULTS.maxConcurrentOrders)!;
  if (concurrency < 1) throw new UsageError(`${v.label('max-concurrent-orders')}: must be at least 1`);
  const backoff = {
    min: v.num('backoff-min', 'seconds', DEFAULTS.backoffMin)!,
    max: v.num('backoff-max', 'seconds', DEFAULTS.backoffMax)!,
  };
  if (backoff.min <= 0 || backoff.max < backoff.min)
    throw new UsageError('arguments --backoff-min and --backoff-max: need 0 < min <= max');
  const maxConnections = v.num('max-connections', 'int', DEFAULTS.maxConnections)!;
  if (maxConnections < 1) throw new UsageError(`${v.label('max-connections')}: must be at least 1`);
  const notify = v.text('notify-command');
  const format = v.choice<LogFormat>('log-format', ['text', 'json']);
  const eab = eabKid !== undefined && eabKey !== undefined ? { kid: eabKid.trim(), hmacKey: eabKey.trim() } : undefined;
  return { listen, lb, eab, caFile, concurrency, backoff, notify, format, maxConnections };
}

/** A file flag whose file must be readable now (a typo fails at start, not at the first order). */
function readableFile(v: FlagValues, name: string): string | undefined {
  const file = v.str(name);
  if (file === undefined) return undefined;
  try {
    readFileSync(file);
  } catch (err) {
    throw new UsageError(
      `${v.label(name)}: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return file;
}

/** `--api-tokens-file`, read and parsed now: a bad line is a usage error naming the file and line. */
function apiTokens(v: FlagValues): TokenEntry[] {
  const file = readableFile(v, 'api-tokens-file');
  if (file === undefined) return [];
  try {
    return parseTokensFile(readFileSync(file, 'utf8'), file);
  } catch (err) {
    throw new UsageError(`${v.label('api-tokens-file')}: ${(err as Error).message}`);
  }
}

type Checked = ReturnType<typeof checkedFlags>;

/** Where the daemon connects and listens, and how it logs. */
function connections(v: FlagValues, c: Checked) {
  return {
    email: v.email('email'),
    marathon: v.httpUrls('marathon', DEFAULTS.marathon),
    lb: c.lb,
    group: v.str('group') ?? DEFAULTS.group,
    allowMultipleCerts: v.bool('allow-multiple-certs'),
    listen: c.listen,
    marathonTimeoutMs: Math.max(0, v.num('marathon-timeout', 'seconds', DEFAULTS.marathonTimeout)!) * 1000,
    sseTimeoutMs: Math.max(0, v.num('sse-timeout', 'seconds', DEFAULTS.sseTimeout)!) * 1000,
    logLevel: v.choice<LogLevel>('log-level', LOG_LEVELS, DEFAULTS.logLevel)!,
    logFormat: c.format ?? (process.stdout.isTTY ? 'text' : 'json'),
  } satisfies Partial<Config>;
}

/** Which certificates to manage and how to order them. */
function certificates(v: FlagValues) {
  return {
    domains: parseStaticDomains(v.str('domains') ?? ''),
    san: v.bool('san'),
    allowedDomains: allowedDomains(v.str('allowed-domains'), v.label('allowed-domains')),
    removeAfterMs: v.num('remove-after', 'seconds', DEFAULTS.removeAfter)! * 1000,
    revokeRemoved: v.bool('revoke-removed'),
    maxRemovalFraction: v.num('max-removal-fraction', 'fraction', DEFAULTS.maxRemovalFraction)!,
    keyType: v.choice<KeyType>('key-type', KEY_TYPES, DEFAULTS.keyType)!,
    profile: v.text('profile'),
    preferredChain: v.text('preferred-chain'),
  } satisfies Partial<Config>;
}

/** The CA account, pacing, secrets and the delivery to load balancers. */
function operations(v: FlagValues, c: Checked) {
  return {
    eab: c.eab,
    maxConcurrentOrders: c.concurrency,
    resyncIntervalMs: Math.max(1, v.num('resync-interval', 'seconds', DEFAULTS.resyncInterval)!) * 1000,
    orderBudget: v.num('order-budget', 'int', DEFAULTS.orderBudget)!,
    backoffMinMs: c.backoff.min * 1000,
    backoffMaxMs: c.backoff.max * 1000,
    acmeCaCert: c.caFile,
    marathonToken: v.text('marathon-token'),
    haproxySocket: v.text('haproxy-socket'),
    haproxyCertsDir: v.text('haproxy-certs-dir'),
    haproxyMasterSocket: v.text('haproxy-master-socket'),
    notifyCommand: c.notify?.split(/\s+/),
    storageGroup: v.str('storage-group') !== undefined ? v.num('storage-group', 'int') : undefined,
    apiTokens: apiTokens(v),
    apiReadAuth: v.bool('api-read-auth'),
    maxConnections: c.maxConnections,
    ...syncFeed(v),
  } satisfies Partial<Config>;
}

/** High availability: the ZooKeeper ensemble, its session timeout, this instance's name. */
function cluster(v: FlagValues, c: Checked) {
  const raw = v.str('zk');
  let zk: ZkTarget | undefined;
  if (raw !== undefined && raw.trim() !== '') {
    try {
      zk = parseZkUrl(raw);
    } catch (err) {
      throw new UsageError(`${v.label('zk')}: ${(err as Error).message}`);
    }
  }
  const timeout = v.num('zk-session-timeout', 'seconds', DEFAULTS.zkSessionTimeout)!;
  if (!(timeout >= 1 && timeout <= 600))
    throw new UsageError(`${v.label('zk-session-timeout')}: must be 1 to 600 seconds`);
  const id = v.text('instance-id')?.trim();
  return {
    ...(zk ? { zk } : {}),
    zkSessionTimeoutMs: timeout * 1000,
    instanceId: id ? id : defaultInstanceId(hostname(), c.listen.port),
  } satisfies Partial<Config>;
}

/** `--sync-listen` and its TLS files (both or neither, readable now). */
function syncFeed(v: FlagValues): Pick<Config, 'syncListen' | 'syncTls'> {
  const listen = v.str('sync-listen');
  let syncListen: Config['syncListen'];
  if (listen !== undefined) {
    try {
      syncListen = parseListen(listen, (h) => isIP(h) !== 0);
    } catch (err) {
      throw new UsageError(`${v.label('sync-listen')}: ${(err as Error).message}`);
    }
  }
  const certFile = readableFile(v, 'sync-tls-cert');
  const keyFile = readableFile(v, 'sync-tls-key');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('arguments --sync-tls-cert and --sync-tls-key must be given together');
  const syncTls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
  return { ...(syncListen ? { syncListen } : {}), ...(syncTls ? { syncTls } : {}) };
}
