/**
 * Which challenge validates a name (issue 12): wildcards always DNS-01 (HTTP-01 cannot validate them);
 * otherwise the certificate's label (`MARATHON_ACME_{n}_CHALLENGE`) decides when given; otherwise names
 * equal to or under a `--dns-zones` suffix use DNS-01; everything else HTTP-01. Without a DNS provider
 * every name is HTTP-01 (wildcards never get this far: `acceptNames` refuses them). Pure.
 */
import { isAllowed } from './names.js';
import type { ChallengeType } from './types.js';

export interface ChallengeRules {
  /** A DNS provider is configured (`--dns-provider`). */
  readonly dnsEnabled: boolean;
  /** `--dns-zones`, normalised suffixes. */
  readonly dnsZones: readonly string[];
}

/** The challenge for `identifier` (normalised; may start with `*.`), given the certificate's own choice. */
export function challengeTypeFor(
  identifier: string,
  asked: ChallengeType | undefined,
  rules: ChallengeRules,
): ChallengeType {
  if (!rules.dnsEnabled) return 'http-01';
  if (identifier.startsWith('*.')) return 'dns-01';
  if (asked !== undefined) return asked;
  if (rules.dnsZones.length > 0 && isAllowed(identifier, rules.dnsZones)) return 'dns-01';
  return 'http-01';
}

/** A `MARATHON_ACME_{n}_CHALLENGE` value: `dns-01`/`http-01` (case-insensitive, trimmed), else undefined. */
export function parseChallengeLabel(value: unknown): ChallengeType | undefined {
  const s = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return s === 'dns-01' || s === 'http-01' ? s : undefined;
}
