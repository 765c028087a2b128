/**
 * The typed, validated, frozen configuration. Defaults live here and only here.
 * Built by `cli/parse.ts` from argv + environment; read by the composition root (`app/`).
 */
import type { KeyType } from '../domain/types.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import type { LogFormat, LogLevel } from '../lib/logger.js';
import type { TokenEntry } from '../lib/tokens.js';
import type { ZkTarget } from './zk-url.js';

export interface ListenAddress {
  /** IP literal, or undefined for all interfaces (0.6.1's `:8000`). */
  readonly host?: string;
  readonly port: number;
}

/** One ACME CA of `--acme`, with its own settings (`MARATHON_ACME_ACME_<i>_*`; CA 0 also the single-CA flags). */
export interface CaConfig {
  /** The ACME directory URL: identifies the CA (its account, budget, health and certificates). */
  readonly url: string;
  readonly eab?: { readonly kid: string; readonly hmacKey: string };
  readonly profile?: string;
  readonly preferredChain?: string;
  /** Extra PEM CA file to trust for this ACME server only (`--acme-ca-cert` is trusted for all of them). */
  readonly caCert?: string;
}

export interface Config {
  readonly storageDir: string;
  /** The first (most preferred) CA's directory URL: `cas[0].url`. */
  readonly acme: string;
  /** Every CA of `--acme`, in order of preference (never empty); `cas[0]` keeps `client.key`. */
  readonly cas: readonly CaConfig[];
  readonly email?: string;
  readonly marathon: readonly string[];
  /** marathon-lb base URLs; empty = no marathon-lb signalling. */
  readonly lb: readonly string[];
  readonly group: string;
  readonly allowMultipleCerts: boolean;
  readonly listen: ListenAddress;
  /** 0 disables. */
  readonly marathonTimeoutMs: number;
  /** 0 disables. */
  readonly sseTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Static certificates (`--domains`): each entry is the raw name list of one certificate. */
  readonly domains: readonly (readonly string[])[];
  /** SAN mode by default for every label (a label can still say otherwise). */
  readonly san: boolean;
  /** `--allowed-domains`, normalised once at parse time (lower-case A-label suffixes); empty = no restriction. */
  readonly allowedDomains: readonly string[];
  readonly removeAfterMs: number;
  readonly revokeRemoved: boolean;
  /** Removals in one plan above this fraction of managed certificates are held (1 disables the guard). */
  readonly maxRemovalFraction: number;
  readonly keyType: KeyType;
  readonly profile?: string;
  readonly preferredChain?: string;
  readonly eab?: { readonly kid: string; readonly hmacKey: string };
  readonly maxConcurrentOrders: number;
  readonly resyncIntervalMs: number;
  /** New orders allowed per 3 hours (ARI renewals exempt); Let's Encrypt's limit is 300. */
  readonly orderBudget: number;
  /** Extra PEM CA file to trust for the ACME server (NODE_EXTRA_CA_CERTS works too). */
  readonly acmeCaCert?: string;
  readonly marathonToken?: string;
  readonly haproxySocket?: string;
  /** HAProxy's own path of the certs directory (its `crt` line), if it differs from ours. */
  readonly haproxyCertsDir?: string;
  /** HAProxy master CLI socket: the fallback reload when the runtime API refuses. */
  readonly haproxyMasterSocket?: string;
  /** argv of a command run after each batch of changes (no shell). */
  readonly notifyCommand?: readonly string[];
  /** Per-certificate failure backoff: first delay and cap, in ms. */
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** Numeric group id given to written files and directories (split-user HAProxy setups). */
  readonly storageGroup?: number;
  /** `--zk`: high availability on this ZooKeeper ensemble and path; absent = one instance, as ever. */
  readonly zk?: ZkTarget;
  /** `--zk-session-timeout`, in ms. */
  readonly zkSessionTimeoutMs: number;
  /** `--instance-id`: this instance's name in logs, /status and metrics. */
  readonly instanceId: string;
  /** `--api-tokens-file`, parsed at start (hashes only); empty = every state-changing endpoint answers 403. */
  readonly apiTokens: readonly TokenEntry[];
  /** `--api-read-auth`: reads need a `read` token too. */
  readonly apiReadAuth: boolean;
  /** `--max-connections`: open connections to `--listen` beyond this are closed at once. */
  readonly maxConnections: number;
  /** DNS-01 (`--dns-provider`); absent: DNS-01 is off and wildcards are rejected. */
  readonly dns?: DnsConfig;
  /** `--sync-listen`: where the agents' HTTPS bundle feed listens; absent = no feed. */
  readonly syncListen?: ListenAddress;
  /** `--sync-tls-cert` / `--sync-tls-key` (both or neither); absent = the self-signed `sync-tls.pem`. */
  readonly syncTls?: { readonly certFile: string; readonly keyFile: string };
}

export const DNS_PROVIDERS = ['rfc2136', 'exec', 'acme-dns'] as const;
export type DnsProviderName = (typeof DNS_PROVIDERS)[number];

/** lego's per-provider timings, in seconds (its environment variables' unit). */
export interface DnsTimings {
  readonly propagationTimeout: number;
  readonly pollingInterval: number;
  readonly sequenceInterval: number;
}

/** DNS-01 settings: the flags, and the provider's settings under lego's environment variable names. */
export interface DnsConfig {
  readonly provider: DnsProviderName;
  /** `--dns-zones`: names equal to or under these (normalised) suffixes use DNS-01. */
  readonly zones: readonly string[];
  /** `--dns-resolvers` (`host[:port]`): lookups and the propagation check ask these instead. */
  readonly resolvers?: readonly string[];
  /** Off with `--dns-no-cname-follow`. */
  readonly followCname: boolean;
  readonly rfc2136?: {
    /** `RFC2136_NAMESERVER`, host[:port]. */
    readonly nameserver: string;
    readonly tsigKey?: string;
    /** Secret: never logged. */
    readonly tsigSecret?: string;
    readonly tsigAlgorithm: string;
    /** Seconds. */
    readonly ttl: number;
  } & DnsTimings;
  readonly exec?: {
    readonly path: string;
    /** `EXEC_MODE=RAW`: `present -- <domain> <token> <key-authorization>`. */
    readonly raw: boolean;
  } & DnsTimings;
  readonly acmeDns?: {
    readonly apiBase: string;
    readonly storagePath: string;
  } & DnsTimings;
}

export const LE_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LE_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/**
 * Whether a directory is a test CA's (Let's Encrypt staging, anything named staging, Pebble on a
 * loopback address): certificates of test CAs are replaced when only production CAs are configured.
 */
export function isTestCaUrl(url: string): boolean {
  if (url === LE_STAGING || /staging/i.test(url)) return true;
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  } catch {
    return false;
  }
}

export const DEFAULTS = {
  acme: LE_PRODUCTION,
  marathon: 'http://marathon.mesos:8080',
  lb: 'http://marathon-lb.marathon.mesos:9090',
  group: 'external',
  listen: ':8000',
  marathonTimeout: 10,
  sseTimeout: 60,
  logLevel: 'info' as LogLevel,
  removeAfter: 7 * 24 * 3600,
  maxRemovalFraction: 0.5,
  keyType: 'ec256' as KeyType,
  maxConcurrentOrders: 5,
  resyncInterval: 300,
  orderBudget: 250,
  /** Open connections to --listen; keep the soft RLIMIT_NOFILE above it (the image's entrypoint raises it). */
  maxConnections: 4096,
  /** Failures back off from a few minutes up to a day (issue: "starting at a few minutes, capped at one day"). */
  backoffMin: 300,
  backoffMax: 86400,
  /** Shape of the per-certificate failure backoff: doubling, a quarter of each delay randomised. */
  backoffFactor: 2,
  /** ZooKeeper session timeout (seconds): failover happens within about this long after a leader dies. */
  zkSessionTimeout: 10,
  backoffJitter: 0.25,
  /** lego's defaults (dns01.DefaultTTL, DefaultPropagationTimeout, DefaultPollingInterval). */
  dnsTtl: 120,
  dnsPropagationTimeout: 60,
  dnsPollingInterval: 2,
  dnsSequenceInterval: 60,
  /** The contract (lego's own default is hmac-sha1). */
  tsigAlgorithm: 'hmac-sha256.',
} as const;

/** The default `--instance-id`: `<hostname>:<listen port>` (unique per host with Marathon's UNIQUE hostname constraint). */
export function defaultInstanceId(hostname: string, listenPort: number): string {
  return `${hostname}:${listenPort}`;
}

/** The per-certificate failure backoff: `--backoff-min`/`--backoff-max` with the default shape. */
export function failureBackoff(c: Pick<Config, 'backoffMinMs' | 'backoffMaxMs'>): BackoffPolicy {
  return {
    baseMs: c.backoffMinMs,
    capMs: c.backoffMaxMs,
    factor: DEFAULTS.backoffFactor,
    jitter: DEFAULTS.backoffJitter,
  };
}

/**
 * ACME v1 directories were switched off in 2021; map them to their v2 equivalents so an old app
 * definition keeps working. Returns the URL to use and whether it was rewritten.
 */
export function upgradeAcmeUrl(url: string): { url: string; upgraded: boolean } {
  const m = /^https:\/\/acme(-staging)?-v01\.api\.letsencrypt\.org\/directory\/?$/.exec(url.trim());
  if (!m) return { url: url.trim(), upgraded: false };
  return { url: m[1] ? LE_STAGING : LE_PRODUCTION, upgraded: true };
}

/**
 * Parse 0.6.1's `[ipaddress]:port`: split at the last colon; empty host = all interfaces; the host
 * must be an IP literal (optionally in brackets); port 1..65535. Throws Error with 0.6.1's wording.
 */
export function parseListen(value: string, isIp: (host: string) => boolean): ListenAddress {
  const i = value.lastIndexOf(':');
  if (i < 0) throw new Error(`'${value}' does not have the correct form for a listen address: [ipaddress]:port`);
  let host = value.slice(0, i);
  const port = value.slice(i + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host !== '' && !isIp(host)) throw new Error(`'${host}' does not appear to be an IPv4 or IPv6 address`);
  const n = /^[0-9]+$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`'${port}' does not appear to be a valid port number`);
  return host === '' ? { port: n } : { host, port: n };
}
