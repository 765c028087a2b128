/**
 * The contract between the DNS-01 solver and a DNS provider (rfc2136, exec, acme-dns).
 */
import type { DnsServer } from './transport.js';

/** One TXT value to publish for one challenge. */
export interface TxtRecord {
  /** Where the value goes, after CNAME following: `_acme-challenge.<name>` or its target; no trailing dot. */
  readonly fqdn: string;
  /** The zone (SOA owner) `fqdn` is in; no trailing dot. */
  readonly zone: string;
  /** base64url(SHA-256(key authorization)), RFC 8555 §8.4. */
  readonly value: string;
  /** The identifier being validated, without `*.`. */
  readonly domain: string;
  readonly token: string;
  readonly keyAuthorization: string;
}

/** lego's per-provider timings, in milliseconds, and the TTL of the records in seconds. */
export interface ProviderTiming {
  readonly ttl: number;
  readonly propagationTimeoutMs: number;
  readonly pollingIntervalMs: number;
  readonly sequenceIntervalMs: number;
}

/**
 * A DNS provider. `present` resolves once the provider accepted the record (the solver then waits for
 * the nameservers to serve it); `cleanUp` removes exactly that value, never other values of the owner.
 * Both reject with a DnsError (`outage` when the provider could not be reached).
 */
export interface DnsProvider {
  readonly name: string;
  readonly timing: ProviderTiming;
  /** Servers the provider knows answer for its zones (rfc2136: its primary), asked before the resolvers. */
  readonly lookupServers?: readonly DnsServer[];
  /** When true, the solver does not follow CNAMEs nor find the zone itself (acme-dns: it has its own name). */
  readonly ownsName?: boolean;
  present(record: TxtRecord, signal: AbortSignal): Promise<void>;
  cleanUp(record: TxtRecord, signal: AbortSignal): Promise<void>;
}
