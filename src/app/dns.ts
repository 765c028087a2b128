/**
 * DNS-01 from the configuration: the provider (rfc2136, exec, acme-dns), the `Dns01Solver` around it,
 * and the per-name choice of challenge for the issuer. Nothing here when `--dns-provider` is absent.
 */
import { getServers } from 'node:dns';
import type { DnsConfig, DnsTimings } from '../config/config.js';
import { challengeTypeFor } from '../domain/challenge.js';
import type { ChallengeType } from '../domain/types.js';
import { AcmeDnsProvider } from '../solvers/dns01/acme-dns.js';
import { ExecProvider } from '../solvers/dns01/exec.js';
import type { DnsProvider, ProviderTiming } from '../solvers/dns01/provider.js';
import { Rfc2136Provider } from '../solvers/dns01/rfc2136.js';
import { Dns01Solver } from '../solvers/dns01/solver.js';
import { type DnsServer, parseServer } from '../solvers/dns01/transport.js';
import type { Logger } from '../lib/logger.js';

function timing(t: DnsTimings, ttl = 120): ProviderTiming {
  return {
    ttl,
    propagationTimeoutMs: t.propagationTimeout * 1000,
    pollingIntervalMs: t.pollingInterval * 1000,
    sequenceIntervalMs: t.sequenceInterval * 1000,
  };
}

function servers(list: readonly string[]): DnsServer[] {
  return list.map((s) => parseServer(s)).filter((s): s is DnsServer => s !== null);
}

/** The provider the configuration names (its settings were checked when the configuration was parsed). */
export function buildDnsProvider(dns: DnsConfig, logger: Logger): DnsProvider {
  if (dns.rfc2136) {
    const r = dns.rfc2136;
    return new Rfc2136Provider({
      nameserver: parseServer(r.nameserver)!,
      ...(r.tsigKey !== undefined && r.tsigSecret !== undefined
        ? { key: { name: r.tsigKey, algorithm: r.tsigAlgorithm, secret: Buffer.from(r.tsigSecret, 'base64') } }
        : {}),
      timing: timing(r, r.ttl),
    });
  }
  if (dns.exec) return new ExecProvider({ path: dns.exec.path, raw: dns.exec.raw, timing: timing(dns.exec) });
  const a = dns.acmeDns!;
  return new AcmeDnsProvider({ apiBase: a.apiBase, storagePath: a.storagePath, timing: timing(a), logger });
}

/** The DNS-01 solver and the issuer's choice of challenge per name, or nothing without `--dns-provider`. */
export function buildDns(
  dns: DnsConfig | undefined,
  logger: Logger,
): { solver?: Dns01Solver; challengeFor: (identifier: string, asked: ChallengeType | undefined) => ChallengeType } {
  const rules = { dnsEnabled: dns !== undefined, dnsZones: dns?.zones ?? [] };
  const challengeFor = (identifier: string, asked: ChallengeType | undefined): ChallengeType =>
    challengeTypeFor(identifier, asked, rules);
  if (dns === undefined) return { challengeFor };
  const solver = new Dns01Solver({
    provider: buildDnsProvider(dns, logger.child({ component: 'dns01' })),
    ...(dns.resolvers ? { resolvers: servers(dns.resolvers) } : {}),
    systemResolvers: servers(getServers()),
    followCname: dns.followCname,
  });
  return { solver, challengeFor };
}
