/**
 * DNS-01 settings: the `--dns-*` flags, and the provider's settings from lego's environment variables
 * (issue 12's contract), so an operator can reuse a lego configuration as it is:
 * - rfc2136: RFC2136_NAMESERVER (required), RFC2136_TSIG_KEY, RFC2136_TSIG_SECRET,
 *   RFC2136_TSIG_ALGORITHM, RFC2136_TTL, RFC2136_PROPAGATION_TIMEOUT, RFC2136_POLLING_INTERVAL,
 *   RFC2136_SEQUENCE_INTERVAL;
 * - exec: EXEC_PATH (required), EXEC_MODE, EXEC_PROPAGATION_TIMEOUT, EXEC_POLLING_INTERVAL, EXEC_SEQUENCE_INTERVAL;
 * - acme-dns: ACME_DNS_API_BASE, ACME_DNS_STORAGE_PATH (both required).
 * Durations are lego's: whole seconds. A missing or bad value is a usage error naming the variable
 * (a secret is never echoed).
 */
import { type DnsConfig, type DnsProviderName, type DnsTimings, DEFAULTS } from '../config/config.js';
import { normalizeSuffix } from '../domain/names.js';
import { UsageError } from './usage-error.js';
import type { FlagValues } from './values.js';

/** `host[:port]`, `[v6]:port` or a bare IPv6 address. */
const SERVER = /^(?:\[[0-9a-fA-F:.]+\](?::\d{1,5})?|[0-9a-fA-F:]+:[0-9a-fA-F:]*|[A-Za-z0-9.-]+(?::\d{1,5})?)$/;

function isServer(s: string): boolean {
  if (!SERVER.test(s)) return false;
  const port = /\]:(\d+)$|^[^:[\]]+:(\d+)$/.exec(s);
  const n = port ? Number(port[1] ?? port[2]) : 53;
  return n >= 1 && n <= 65535;
}

/** The DNS settings, or undefined without `--dns-provider`. */
export function dnsConfig(v: FlagValues, env: NodeJS.ProcessEnv): DnsConfig | undefined {
  const provider = v.choice<DnsProviderName>('dns-provider', ['rfc2136', 'exec', 'acme-dns']);
  if (provider === undefined) {
    for (const f of ['dns-zones', 'dns-resolvers'])
      if (v.text(f) !== undefined) throw new UsageError(`${v.label(f)}: needs --dns-provider`);
    return undefined;
  }
  const zones = list(v.text('dns-zones')).map((z) => {
    const s = normalizeSuffix(z);
    if (s === null) throw new UsageError(`${v.label('dns-zones')}: '${z}' is not a domain name`);
    return s;
  });
  const resolverList = list(v.text('dns-resolvers'));
  for (const r of resolverList)
    if (!isServer(r)) throw new UsageError(`${v.label('dns-resolvers')}: '${r}' is not host[:port]`);
  const base = {
    provider,
    zones,
    ...(resolverList.length > 0 ? { resolvers: resolverList } : {}),
    followCname: !v.bool('dns-no-cname-follow'),
  };
  const e = new EnvValues(env);
  if (provider === 'rfc2136') return { ...base, rfc2136: rfc2136(e) };
  if (provider === 'exec') return { ...base, exec: execSettings(e) };
  return { ...base, acmeDns: acmeDns(e) };
}

function list(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function rfc2136(e: EnvValues): NonNullable<DnsConfig['rfc2136']> {
  const nameserver = e.required('RFC2136_NAMESERVER', 'rfc2136');
  if (!isServer(nameserver))
    throw new UsageError(`environment variable RFC2136_NAMESERVER: '${nameserver}' is not host[:port]`);
  const tsigKey = e.text('RFC2136_TSIG_KEY');
  const tsigSecret = e.text('RFC2136_TSIG_SECRET');
  if ((tsigKey === undefined) !== (tsigSecret === undefined))
    throw new UsageError('environment variables RFC2136_TSIG_KEY and RFC2136_TSIG_SECRET must be given together');
  if (tsigSecret !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(tsigSecret))
    throw new UsageError('environment variable RFC2136_TSIG_SECRET: not base64 (value not shown)');
  const alg = (e.text('RFC2136_TSIG_ALGORITHM') ?? DEFAULTS.tsigAlgorithm).toLowerCase();
  const tsigAlgorithm = alg.endsWith('.') ? alg : `${alg}.`;
  if (!/^hmac-sha(1|224|256|384|512)\.$/.test(tsigAlgorithm))
    throw new UsageError(
      `environment variable RFC2136_TSIG_ALGORITHM: '${alg}' is not hmac-sha1., hmac-sha256. or hmac-sha512.`,
    );
  return {
    nameserver,
    ...(tsigKey !== undefined ? { tsigKey } : {}),
    ...(tsigSecret !== undefined ? { tsigSecret } : {}),
    tsigAlgorithm,
    ttl: e.seconds('RFC2136_TTL', DEFAULTS.dnsTtl),
    ...timings(e, 'RFC2136'),
  };
}

function execSettings(e: EnvValues): NonNullable<DnsConfig['exec']> {
  const path = e.required('EXEC_PATH', 'exec');
  const mode = e.text('EXEC_MODE');
  if (mode !== undefined && mode !== 'RAW')
    throw new UsageError(`environment variable EXEC_MODE: '${mode}' is not RAW`);
  return { path, raw: mode === 'RAW', ...timings(e, 'EXEC') };
}

function acmeDns(e: EnvValues): NonNullable<DnsConfig['acmeDns']> {
  const apiBase = e.required('ACME_DNS_API_BASE', 'acme-dns');
  if (!/^https?:\/\/[^\s]+$/.test(apiBase))
    throw new UsageError('environment variable ACME_DNS_API_BASE: not an http(s) URL');
  return { apiBase, storagePath: e.required('ACME_DNS_STORAGE_PATH', 'acme-dns'), ...timings(e, 'ACME_DNS') };
}

function timings(e: EnvValues, prefix: string): DnsTimings {
  return {
    propagationTimeout: e.seconds(`${prefix}_PROPAGATION_TIMEOUT`, DEFAULTS.dnsPropagationTimeout),
    pollingInterval: e.seconds(`${prefix}_POLLING_INTERVAL`, DEFAULTS.dnsPollingInterval),
    sequenceInterval: e.seconds(`${prefix}_SEQUENCE_INTERVAL`, DEFAULTS.dnsSequenceInterval),
  };
}

class EnvValues {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  text(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  required(name: string, provider: string): string {
    const v = this.text(name);
    if (v === undefined) throw new UsageError(`--dns-provider ${provider} needs the environment variable ${name}`);
    return v;
  }

  /** Whole seconds as lego reads them (a positive integer); `dflt` when absent. */
  seconds(name: string, dflt: number): number {
    const v = this.text(name);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < 1)
      throw new UsageError(`environment variable ${name}: '${v}' is not a whole number of seconds`);
    return Number(v);
  }
}
