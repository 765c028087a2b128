/**
 * plan(): the one decision of the daemon. Desired state (snapshots) and observed state (store + state
 * records) in, one decision per certificate out, each with a reason. Pure: the clock is an input.
 */
import { chooseRenewalTime, isStagingIssuer, isTestIssuer } from './policy.js';
import { sameNames } from './name-rules.js';
import type { CaFacts, CertSpec, CertState, KeyType, StoredCert } from './types.js';

export type Work = 'issue' | 'renew';

export type Decision =
  /** Order a certificate (issue: there is none usable; renew: the one there is due). */
  | {
      readonly kind: Work;
      readonly name: string;
      readonly spec: CertSpec;
      readonly reason: string;
      readonly priority: number;
      readonly ariRenewal: boolean;
    }
  /** Ask the CA's renewal info (ARI) for this certificate. */
  | { readonly kind: 'check-ari'; readonly name: string; readonly reason: string }
  /** Start (or stop) the removal grace of a certificate nobody wants. */
  | { readonly kind: 'mark-unwanted' | 'clear-unwanted'; readonly name: string; readonly reason: string }
  /** Archive the certificate out of certs/. */
  | { readonly kind: 'remove'; readonly name: string; readonly reason: string }
  /** A removal that the mass-removal guard holds until an operator releases it. */
  | { readonly kind: 'hold-removal'; readonly name: string; readonly reason: string }
  /** Drop a state record that no longer has a certificate or a wish behind it. */
  | { readonly kind: 'forget'; readonly name: string; readonly reason: string }
  /** Nothing now; look again at `at` (if set). `needsSnapshot`: a fresh successful reading would let it proceed. */
  | {
      readonly kind: 'none';
      readonly name: string;
      readonly reason: string;
      readonly at?: Date;
      readonly needsSnapshot?: boolean;
    };

export interface PlanPolicy {
  readonly removeAfterMs: number;
  readonly keyType: KeyType;
  /** Removals above this fraction of the managed certificates (and more than 2) are held. */
  readonly maxRemovalFraction: number;
  /**
   * The CA new orders go to: if it is a production CA, certificates of a test CA are replaced; if it is
   * known not to offer ARI (`ariSupported` false), renewal information is never asked.
   */
  readonly ca: CaFacts;
  /**
   * Every configured CA, in order of preference (issue 13; default: `ca` alone). A certificate whose
   * recorded CA is not among them is replaced (staging switched to production); ARI is asked of the
   * CA that issued a certificate, so its `ariSupported` counts.
   */
  readonly cas?: readonly CaFacts[];
}

export interface PlanInput {
  readonly now: Date;
  /** Merged desired certificates, by name. */
  readonly desired: ReadonlyMap<string, CertSpec>;
  /**
   * When every source has delivered a successful snapshot: the time of the OLDEST of their latest
   * snapshots; undefined before that. Removal needs a successful snapshot taken after the grace ended,
   * so a Marathon outage never counts as "absent".
   */
  readonly desiredAt: Date | undefined;
  readonly stored: ReadonlyMap<string, StoredCert>;
  readonly states: ReadonlyMap<string, CertState>;
  readonly policy: PlanPolicy;
  /** An operator released held removals. */
  readonly removalsReleased: boolean;
}

export interface Plan {
  readonly decisions: readonly Decision[];
  /** Earliest moment a `none` decision wants to be looked at again. */
  readonly wakeAt: Date | undefined;
}

/** Plan every certificate that is wanted, stored or remembered. */
export function plan(input: PlanInput): Plan {
  const names = new Set([...input.desired.keys(), ...input.stored.keys(), ...input.states.keys()]);
  let decisions = [...names].sort().map((name) => decide(name, input));
  decisions = guardMassRemoval(decisions, input);
  let wakeAt: Date | undefined;
  for (const d of decisions) {
    if (d.kind === 'none' && d.at && (!wakeAt || d.at < wakeAt)) wakeAt = d.at;
  }
  return { decisions, wakeAt };
}

function decide(name: string, input: PlanInput): Decision {
  const spec = input.desired.get(name);
  const stored = input.stored.get(name);
  const state = input.states.get(name);
  if (!spec) return decideUnwanted(name, stored, state, input);
  if (state?.unwantedSince !== undefined) return { kind: 'clear-unwanted', name, reason: 'wanted again' };
  const work = decideWanted(spec, stored, state, input);
  return gateBackoff(work, state, input.now);
}

function decideWanted(
  spec: CertSpec,
  stored: StoredCert | undefined,
  state: CertState | undefined,
  input: PlanInput,
): Decision {
  const { name } = spec;
  const issue = (reason: string): Decision => ({
    kind: 'issue',
    name,
    spec,
    reason,
    priority: Number.MAX_SAFE_INTEGER,
    ariRenewal: false,
  });
  if (!stored) return issue('no certificate');
  if (!sameNames(stored.names, spec.names)) return issue('names changed');
  if (stored.selfSigned) return issue('self-signed certificate');
  const replaced = caReplacement(stored, state, input.policy);
  if (replaced) return issue(replaced);
  // Only a key type WE recorded can have "changed": certificates adopted from the Python original (RSA)
  // keep their key until their normal renewal, rather than all being reissued at once on migration.
  if (state?.keyType !== undefined && state.keyType !== input.policy.keyType) return issue('key type changed');

  const now = input.now.getTime();
  const due = renewalTime(stored, state);
  if (now >= stored.notAfter.getTime() || now >= due.urgentAt.getTime() || now >= due.at.getTime()) {
    const reason =
      now >= stored.notAfter.getTime()
        ? 'expired'
        : now >= due.urgentAt.getTime()
          ? 'last twentieth of lifetime'
          : due.reason;
    return {
      kind: 'renew',
      name,
      spec,
      reason,
      priority: stored.notAfter.getTime(),
      ariRenewal: state?.ari !== undefined && state.serial === stored.serial,
    };
  }
  const ariCheck =
    issuingCa(stored, state, input.policy).ariSupported === false ? undefined : ariCheckTime(stored, state);
  if (ariCheck !== undefined && ariCheck.getTime() <= now)
    return { kind: 'check-ari', name, reason: state?.ari ? 'renewal info expired' : 'no renewal info yet' };
  const at = new Date(Math.min(due.at.getTime(), due.urgentAt.getTime(), ariCheck?.getTime() ?? Infinity));
  return { kind: 'none', name, reason: 'not due', at };
}

/** The renewal moment: the recorded one if it belongs to this very certificate, else the default. */
export function renewalTime(
  stored: StoredCert,
  state: CertState | undefined,
): { at: Date; urgentAt: Date; reason: string } {
  const dflt = chooseRenewalTime(stored, undefined, 0);
  // A recorded time that is not a date (a hand-edited record) is no plan: the default applies.
  if (state?.renewAt && state.serial === stored.serial && !Number.isNaN(Date.parse(state.renewAt))) {
    return {
      at: new Date(state.renewAt),
      urgentAt: dflt.urgentAt,
      reason: state.ari ? 'ari-window' : 'two-thirds-lifetime',
    };
  }
  return dflt;
}

/** The configured CA that issued the certificate (recorded for this serial), else the first of `--acme`. */
function issuingCa(stored: StoredCert, state: CertState | undefined, policy: PlanPolicy): CaFacts {
  const url = state?.issuer && state.serial === stored.serial ? state.issuer : undefined;
  return (
    (url !== undefined ? policy.cas?.find((c) => c.directoryUrl === url) : undefined) ?? policy.cas?.[0] ?? policy.ca
  );
}

/**
 * Why a certificate must come from another CA now (issue 13), or undefined: its recorded CA is no
 * longer configured; or, not recorded (adopted from 0.6.1 or rebuilt from disk), its chain is Let's
 * Encrypt staging's ("(STAGING)" issuers) while no staging CA is configured, or another test CA's
 * ("Fake LE", Pebble) while every configured CA is a production CA. A recorded CA still configured keeps
 * its certificate until its renewal (a fallback's certificate moves back then), and so does any other
 * adopted certificate.
 */
function caReplacement(stored: StoredCert, state: CertState | undefined, policy: PlanPolicy): string | undefined {
  const cas = policy.cas ?? [policy.ca];
  const recorded = state?.issuer && state.serial === stored.serial ? state.issuer : undefined;
  if (recorded !== undefined) {
    // A trailing slash added or dropped in --acme is the same CA, not a reason to reissue everything.
    const same = (url: string) => url.replace(/\/+$/, '') === recorded.replace(/\/+$/, '');
    if (cas.some((c) => same(c.directoryUrl))) return undefined;
    return 'issuing CA no longer configured';
  }
  if (isStagingIssuer(stored.issuer) && !cas.some((c) => /staging/i.test(c.directoryUrl)))
    return 'staging certificate while no staging CA is configured';
  if (isTestIssuer(stored.issuer) && cas.every((c) => c.production))
    return 'test CA certificate while the CA is production';
  return undefined;
}

function ariCheckTime(stored: StoredCert, state: CertState | undefined): Date | undefined {
  if (stored.selfSigned) return undefined;
  if (!state?.ari || state.serial !== stored.serial) return new Date(0);
  return new Date(state.ari.checkAfter);
}

/** Work waits while the certificate backs off (failures, Retry-After, validation budget). */
function gateBackoff(d: Decision, state: CertState | undefined, now: Date): Decision {
  if (d.kind !== 'issue' && d.kind !== 'renew') return d;
  if (state?.nextAttempt === undefined) return d;
  const next = new Date(state.nextAttempt);
  if (next.getTime() <= now.getTime()) return d;
  return { kind: 'none', name: d.name, reason: `backing off (${d.kind}: ${d.reason})`, at: next };
}

function decideUnwanted(
  name: string,
  stored: StoredCert | undefined,
  state: CertState | undefined,
  input: PlanInput,
): Decision {
  if (!stored)
    return state
      ? { kind: 'forget', name, reason: 'no certificate and not wanted' }
      : { kind: 'none', name, reason: 'nothing' };
  if (input.desiredAt === undefined) return { kind: 'none', name, reason: 'waiting for a first complete snapshot' };
  if (state?.unwantedSince === undefined) return { kind: 'mark-unwanted', name, reason: 'no longer requested' };
  const deadline = Date.parse(state.unwantedSince) + input.policy.removeAfterMs;
  if (input.now.getTime() < deadline)
    return { kind: 'none', name, reason: 'unwanted, in removal grace', at: new Date(deadline) };
  if (input.desiredAt.getTime() < deadline)
    return { kind: 'none', name, reason: 'unwanted, waiting for a snapshot after the grace', needsSnapshot: true };
  return { kind: 'remove', name, reason: 'unwanted for longer than remove-after' };
}

/**
 * A misconfigured --group or a broken Marathon must not wipe the cluster: if one plan would remove
 * more than the allowed fraction of the managed certificates (and more than 2), hold every removal.
 */
function guardMassRemoval(decisions: Decision[], input: PlanInput): Decision[] {
  const removals = decisions.filter((d) => d.kind === 'remove').length;
  const managed = input.stored.size;
  if (input.removalsReleased || removals <= 2 || removals <= input.policy.maxRemovalFraction * managed)
    return decisions;
  const reason = `held: ${removals} of ${managed} certificates would be removed at once`;
  return decisions.map((d) => (d.kind === 'remove' ? { kind: 'hold-removal', name: d.name, reason } : d));
}
