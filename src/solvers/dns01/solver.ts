/**
 * The DNS-01 solver (RFC 8555 §8.4): publishes base64url(SHA-256(key authorization)) as a TXT value of
 * `_acme-challenge.<name>` (the name without `*.`), following its CNAME chain to the name that really
 * holds the records (unless turned off), through a `DnsProvider`; then waits until every authoritative
 * nameserver of the zone (or every `--dns-resolvers` entry) serves the value before resolving.
 *
 * A name and its wildcard in one order share one owner with two values: each value is its own record,
 * added and deleted on its own (never the whole RRset). The same value presented twice (a retried
 * order) is counted, so the first cleanUp does not withdraw what the second still needs.
 */
import { createHash } from 'node:crypto';
import type { Challenge, Solver } from '../../domain/contracts.js';
import { authoritativeServers, findZone, followCname, txtValues } from './lookup.js';
import type { DnsProvider, TxtRecord } from './provider.js';
import { DnsError, type DnsServer, serverText } from './transport.js';

export interface Dns01SolverOptions {
  readonly provider: DnsProvider;
  /** `--dns-resolvers`: asked for SOA/NS/CNAME, and the propagation check asks them instead of the zone's nameservers. */
  readonly resolvers?: readonly DnsServer[];
  /** The system's resolvers (used for lookups when `resolvers` is absent). */
  readonly systemResolvers: readonly DnsServer[];
  /** `--dns-no-cname-follow` turns this off. Default on. */
  readonly followCname?: boolean;
  /** How long a cleanUp may take (ms). */
  readonly cleanUpTimeoutMs?: number;
}

/** The TXT value for a key authorization (RFC 8555 §8.4). */
export function txtValue(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization, 'utf8').digest('base64url');
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export class Dns01Solver implements Solver {
  readonly type = 'dns-01' as const;
  private readonly records = new Map<string, { refs: number; readonly ready: Promise<TxtRecord> }>();

  constructor(private readonly opts: Dns01SolverOptions) {}

  /** Lookups go to the resolvers given, else the provider's own servers then the system's. */
  private get lookupServers(): readonly DnsServer[] {
    return this.opts.resolvers ?? [...(this.opts.provider.lookupServers ?? []), ...this.opts.systemResolvers];
  }

  async present(challenge: Challenge, signal: AbortSignal): Promise<void> {
    const key = `${challenge.identifier} ${challenge.keyAuthorization}`;
    const existing = this.records.get(key);
    if (existing) {
      existing.refs += 1;
      await existing.ready;
      return;
    }
    const ready = this.publish(challenge, signal);
    const entry = { refs: 1, ready };
    this.records.set(key, entry);
    ready.catch(() => {
      if (this.records.get(key) === entry) this.records.delete(key);
    });
    await ready;
  }

  async cleanUp(challenge: Challenge): Promise<void> {
    const key = `${challenge.identifier} ${challenge.keyAuthorization}`;
    const entry = this.records.get(key);
    if (!entry) return;
    entry.refs -= 1;
    if (entry.refs > 0) return;
    this.records.delete(key);
    const record = await entry.ready.catch(() => undefined);
    if (record === undefined) return;
    await this.opts.provider.cleanUp(record, AbortSignal.timeout(this.opts.cleanUpTimeoutMs ?? 30_000));
  }

  /** Best-effort removal after a failed presentation (its own error matters more than this one's). */
  private async withdraw(record: TxtRecord): Promise<void> {
    await this.opts.provider
      .cleanUp(record, AbortSignal.timeout(this.opts.cleanUpTimeoutMs ?? 30_000))
      .catch(() => undefined);
  }

  /** The record for a challenge: where its value goes (CNAME followed) and the zone there. */
  async recordFor(challenge: Challenge, signal: AbortSignal): Promise<TxtRecord> {
    const domain = challenge.identifier.replace(/^\*\./, '');
    const owner = `_acme-challenge.${domain}`;
    const base = {
      value: txtValue(challenge.keyAuthorization),
      domain,
      token: challenge.token,
      keyAuthorization: challenge.keyAuthorization,
    };
    if (this.opts.provider.ownsName === true) return { ...base, fqdn: owner, zone: domain };
    const servers = this.lookupServers;
    const fqdn = this.opts.followCname === false ? owner : await followCname(servers, owner, signal);
    const zone = await findZone(servers, fqdn, signal);
    return { ...base, fqdn, zone };
  }

  private async publish(challenge: Challenge, signal: AbortSignal): Promise<TxtRecord> {
    const record = await this.recordFor(challenge, signal);
    await this.opts.provider.present(record, signal);
    try {
      if (this.opts.provider.ownsName !== true) await this.waitPropagation(record, signal);
    } catch (err) {
      // The value is out there but this presentation failed (timeout, cancelled): withdraw it now, since
      // `cleanUp` will find no record for a failed `present`.
      await this.withdraw(record);
      throw err;
    }
    return record;
  }

  /**
   * Poll every server until each serves the value, within the provider's propagation timeout. At the
   * deadline: DNS_UNREACHABLE when every server still missing never answered (an outage), otherwise
   * DNS_PROPAGATION_TIMEOUT naming the servers that did not serve it.
   */
  async waitPropagation(record: TxtRecord, signal: AbortSignal): Promise<void> {
    const { propagationTimeoutMs, pollingIntervalMs } = this.opts.provider.timing;
    const deadline = Date.now() + propagationTimeoutMs;
    const recursion = this.opts.resolvers !== undefined;
    const servers = this.opts.resolvers ?? (await authoritativeServers(this.lookupServers, record.zone, signal));
    let missing = [...servers];
    const unreachable = new Set<string>();
    for (;;) {
      const still: DnsServer[] = [];
      for (const s of missing) {
        try {
          const values = await txtValues(s, record.fqdn, recursion, signal);
          unreachable.delete(serverText(s));
          if (!values.includes(record.value)) still.push(s);
        } catch (err) {
          if (signal.aborted) throw err;
          unreachable.add(serverText(s));
          still.push(s);
        }
      }
      missing = still;
      if (missing.length === 0) return;
      if (Date.now() + pollingIntervalMs > deadline) break;
      await sleep(pollingIntervalMs, signal);
    }
    const names = missing.map(serverText);
    const details = { name: record.fqdn, zone: record.zone, servers: names, timeout: propagationTimeoutMs / 1000 };
    if (names.every((n) => unreachable.has(n)))
      throw new DnsError('DNS_UNREACHABLE', 'no nameserver answered while waiting for the TXT record', { details });
    throw new DnsError('DNS_PROPAGATION_TIMEOUT', 'the TXT record did not reach every nameserver in time', { details });
  }
}
