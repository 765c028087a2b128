/** The CAs of `--acme`, built into the issuer registry (acme/registry.ts). */
import { readFileSync } from 'node:fs';
import { IssuerRegistry } from '../acme/index.js';
import { type CaConfig, isTestCaUrl } from '../config/config.js';
import type { ChallengeStore, Store } from '../domain/contracts.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { Http01Solver } from '../solvers/http01.js';
import type { FileStore } from '../store/index.js';
import type { buildDns } from './dns.js';

/**
 * One issuer per configured CA: CA 0 keeps `client.key` (drop-in for 0.6.1), every further CA gets its
 * own key under `accounts/` (created on first use). Reads each CA's trusted CA files.
 */
export function buildRegistry(o: {
  readonly cas: readonly CaConfig[];
  readonly email?: string;
  /** `--acme-ca-cert`: a trust anchor added for every CA (it only adds trust, never removes any). */
  readonly acmeCaCert?: string;
  readonly store: FileStore;
  /** The store CA 0's account key is written through (fenced with --zk). */
  readonly writable?: Pick<Store, 'writeAccountKey'>;
  /** With --zk: throws unless this instance still leads; called before every signed CA request. */
  readonly fence?: (operation: string) => void;
  readonly challenges: ChallengeStore;
  /** Further solvers (DNS-01) and which challenge each identifier uses (app/dns.ts). */
  readonly dns?: ReturnType<typeof buildDns>;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}): IssuerRegistry {
  const { store } = o;
  const entries = o.cas.map((ca, i) => ({
    directoryUrl: ca.url,
    accountKey:
      i === 0
        ? { read: () => store.readAccountKey(), write: (pem: string) => (o.writable ?? store).writeAccountKey(pem) }
        : fencedKey(store.caAccountKey(ca.url), o.fence),
    eab: ca.eab,
    ca: trusted(o.acmeCaCert, ca.caCert),
    profile: ca.profile,
    preferredChain: ca.preferredChain,
    production: !isTestCaUrl(ca.url),
  }));
  return new IssuerRegistry(entries, {
    email: o.email,
    solvers: o.dns?.solver ? [new Http01Solver(o.challenges), o.dns.solver] : [new Http01Solver(o.challenges)],
    challengeFor: o.dns?.challengeFor,
    ...(o.fence ? { fence: o.fence } : {}),
    logger: o.logger,
    metrics: o.metrics,
  });
}

/** A further CA's account key files, whose write first asks the HA fence (a deposed leader writes nothing). */
function fencedKey(
  k: ReturnType<FileStore['caAccountKey']>,
  fence: ((operation: string) => void) | undefined,
): Pick<ReturnType<FileStore['caAccountKey']>, 'read' | 'write'> {
  if (!fence) return k;
  return {
    read: () => k.read(),
    write: async (pem: string) => {
      fence(`write ${k.path}`);
      await k.write(pem);
    },
  };
}

/** The extra CAs trusted for one ACME server: `--acme-ca-cert` and its own `MARATHON_ACME_ACME_<i>_CA_CERT`. */
function trusted(...files: (string | undefined)[]): string | undefined {
  const unique = [...new Set(files.filter((f): f is string => f !== undefined))];
  if (unique.length === 0) return undefined;
  return unique.map((f) => readFileSync(f, 'utf8').trim()).join('\n');
}
