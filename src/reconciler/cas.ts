/**
 * The configured CAs as the reconciler sees them (issue 13): in order of preference, each with its
 * issuer and its own settings. Which CA a certificate came from is its record's `issuer` (the CA's
 * directory URL), trusted only while the record's serial is the installed certificate's.
 */
import type { Issuer } from '../domain/contracts.js';
import type { CertState, StoredCert } from '../domain/types.js';

/** One configured CA. */
export interface CaChoice {
  readonly issuer: Issuer;
  /** A production CA (certificates adopted from a test CA are replaced when no test CA is configured). */
  readonly production: boolean;
  /** This CA's ACME profile and preferred chain (`MARATHON_ACME_ACME_<i>_PROFILE`, `_PREFERRED_CHAIN`). */
  readonly profile?: string;
  readonly preferredChain?: string;
}

/** The directory URL of the CA that issued the installed certificate, when recorded (else undefined). */
export function recordedCa(state: CertState | undefined, stored: StoredCert | undefined): string | undefined {
  if (!state?.issuer) return undefined;
  if (stored && state.serial !== undefined && state.serial !== stored.serial) return undefined;
  return state.issuer;
}

/** The configured CA at `directoryUrl`, if it is one. */
export function choiceAt(cas: readonly CaChoice[], directoryUrl: string | undefined): CaChoice | undefined {
  return directoryUrl === undefined ? undefined : cas.find((c) => c.issuer.directoryUrl === directoryUrl);
}

/** The configured CAs: `cas` when given, else the one CA of `issuer` and the single-CA settings. */
export function configuredCas(o: {
  readonly cas?: readonly CaChoice[];
  readonly issuer: Issuer;
  readonly productionCa: boolean;
  readonly profile?: string;
  readonly preferredChain?: string;
}): readonly CaChoice[] {
  if (o.cas && o.cas.length > 0) return o.cas;
  return [{ issuer: o.issuer, production: o.productionCa, profile: o.profile, preferredChain: o.preferredChain }];
}
