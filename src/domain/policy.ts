/**
 * Renewal and failure policies: small pure functions with the clock (and randomness) passed in.
 */
import { backoffDelay, type BackoffPolicy } from '../lib/backoff.js';
import type { CertState, RenewalInfo, StoredCert, Subproblem } from './types.js';

const HOUR = 3600_000;

/** Failures back off from a few minutes up to a day (issue: "starting at a few minutes, capped at one day"). */
export const FAILURE_BACKOFF: BackoffPolicy = { baseMs: 5 * 60_000, capMs: 24 * HOUR, factor: 2, jitter: 0.25 };

/** Let's Encrypt pauses authorizations after 5 failures per identifier per hour; we stop at 4. */
export const MAX_FAILED_VALIDATIONS_PER_HOUR = 4;

/** ACME problem types that mean "the CA tried to validate and it failed" (they count toward the hourly limit). */
const VALIDATION_FAILURES = new Set([
  'unauthorized',
  'incorrectResponse',
  'connection',
  'dns',
  'caa',
  'tls',
  'rejectedIdentifier',
]);

export interface RenewalTime {
  /** When to renew. */
  readonly at: Date;
  readonly reason: 'ari-window' | 'two-thirds-lifetime';
  /** From here on renewal is urgent, whatever ARI says: the last 1/20 of the lifetime. */
  readonly urgentAt: Date;
}

/**
 * Pick the renewal moment of a certificate: a uniformly random time inside the CA's ARI window if it
 * gave one (RFC 9773 §4.2; with `now`, the part of the window before `now` is clamped to `now`, so a
 * window wholly in the past renews at once), otherwise when one third of the lifetime remains, a little earlier by up to
 * 2% of the lifetime (jitter, so certificates issued together do not renew together). `random` in [0,1).
 */
export function chooseRenewalTime(
  cert: Pick<StoredCert, 'notBefore' | 'notAfter'>,
  ari: RenewalInfo | undefined,
  random: number,
  now?: Date,
): RenewalTime {
  const nb = cert.notBefore.getTime();
  const na = cert.notAfter.getTime();
  const lifetime = Math.max(0, na - nb);
  const urgentAt = new Date(na - lifetime / 20);
  if (ari && ari.end.getTime() >= ari.start.getTime()) {
    // A window (or the part of it) lying in the past means "now" (landscape 2026 §1.3: clamp, never
    // compute with a negative remaining time).
    const floor = now?.getTime() ?? -Infinity;
    const start = Math.max(ari.start.getTime(), floor);
    const end = Math.max(ari.end.getTime(), floor);
    const at = start + random * (end - start);
    return { at: new Date(at), reason: 'ari-window', urgentAt };
  }
  const at = nb + (lifetime * 2) / 3 - random * lifetime * 0.02;
  return { at: new Date(at), reason: 'two-thirds-lifetime', urgentAt };
}

/** Facts about a failed attempt, taken from the error by the caller (no error classes here). */
export interface FailureFacts {
  readonly code: string;
  /** ACME problem type, short form (`rateLimited`, `unauthorized`, ...). */
  readonly type?: string;
  readonly detail: string;
  /** The CA's Retry-After, if any. */
  readonly retryAfter?: Date;
  /**
   * The CA paused orders for these names on this account (Let's Encrypt's "paused" rateLimited): waiting
   * does not lift it, an operator visiting `unpauseUrl` does.
   */
  readonly paused?: boolean;
  readonly unpauseUrl?: string;
  /** The CA's subproblems, if any (at most 10 kept). */
  readonly subproblems?: readonly Subproblem[];
}

/** A paused name is not retried for this long (unless an operator sends SIGHUP after unpausing it). */
export const PAUSE_HOLD_MS = 24 * HOUR;

/**
 * The state after a failed attempt: one more failure, the error recorded, and the next attempt set to
 * the latest of (exponential backoff with jitter, the CA's Retry-After, the hourly validation budget).
 */
export function recordFailure(
  state: CertState,
  failure: FailureFacts,
  now: Date,
  random: number,
  backoff: BackoffPolicy = FAILURE_BACKOFF,
): CertState {
  const failures = state.failures + 1;
  let next = now.getTime() + backoffDelay(backoff, failures, random);
  if (failure.retryAfter && failure.retryAfter.getTime() > next) next = failure.retryAfter.getTime();
  if (failure.paused) next = Math.max(next, now.getTime() + PAUSE_HOLD_MS);
  let failedValidations = (state.failedValidations ?? []).filter((t) => Date.parse(t) > now.getTime() - HOUR);
  if (failure.type !== undefined && VALIDATION_FAILURES.has(failure.type)) {
    failedValidations = [...failedValidations, now.toISOString()];
    if (failedValidations.length >= MAX_FAILED_VALIDATIONS_PER_HOUR) {
      const oldest = Date.parse(failedValidations[failedValidations.length - MAX_FAILED_VALIDATIONS_PER_HOUR]!);
      next = Math.max(next, oldest + HOUR);
    }
  }
  const { paused: _p, ...rest } = state;
  return {
    ...rest,
    failures,
    lastAttempt: now.toISOString(),
    lastError: {
      code: failure.code,
      ...(failure.type ? { type: failure.type } : {}),
      detail: failure.detail.slice(0, 500),
      at: now.toISOString(),
      ...(failure.unpauseUrl ? { unpauseUrl: failure.unpauseUrl } : {}),
      ...(failure.subproblems?.length ? { subproblems: failure.subproblems.slice(0, 10) } : {}),
    },
    nextAttempt: new Date(next).toISOString(),
    failedValidations,
    ...(failure.paused
      ? { paused: { at: now.toISOString(), ...(failure.unpauseUrl ? { unpauseUrl: failure.unpauseUrl } : {}) } }
      : {}),
  };
}

/** The state with a CA pause lifted by the operator (SIGHUP after unpausing): the next attempt is now. */
export function clearPause(state: CertState): CertState {
  if (!state.paused) return state;
  const { paused: _p, nextAttempt: _n, ...rest } = state;
  return rest;
}

/**
 * The state after a certificate was installed: failures cleared, the new leaf's facts, a fresh renewal
 * time, and `issuer` (the ACME directory URL of the CA that issued it) when given.
 */
export function recordSuccess(
  state: CertState,
  cert: StoredCert,
  keyType: CertState['keyType'],
  now: Date,
  random: number,
  issuer?: string,
): CertState {
  const { nextAttempt: _n, lastError: _e, ari: _a, unwantedSince: _u, paused: _p, ...rest } = state;
  return {
    ...rest,
    names: cert.names,
    ...(keyType ? { keyType } : {}),
    ...(issuer ? { issuer } : {}),
    failures: 0,
    failedValidations: [],
    lastAttempt: now.toISOString(),
    lastSuccess: now.toISOString(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    serial: cert.serial,
    renewAt: chooseRenewalTime(cert, undefined, random).at.toISOString(),
  };
}

/** The state after an ARI answer: the window, when to ask again, and a renewal time inside the window. */
export function recordRenewalInfo(
  state: CertState,
  cert: StoredCert,
  info: RenewalInfo,
  now: Date,
  random: number,
): CertState {
  const sameWindow =
    state.ari &&
    state.ari.start === info.start.toISOString() &&
    state.ari.end === info.end.toISOString() &&
    state.renewAt;
  // RFC 9773 §4.3: re-ask after Retry-After; absent that, a few hours is polite. Bounded to [1 min, 24 h].
  const retry = Math.min(24 * HOUR, Math.max(60_000, info.retryAfterMs ?? 6 * HOUR));
  return {
    ...state,
    ari: {
      start: info.start.toISOString(),
      end: info.end.toISOString(),
      ...(info.explanationUrl ? { explanationUrl: info.explanationUrl } : {}),
      checkAfter: new Date(now.getTime() + retry).toISOString(),
    },
    renewAt: sameWindow ? state.renewAt! : chooseRenewalTime(cert, info, random, now).at.toISOString(),
  };
}

/**
 * A state record rebuilt from a certificate on disk (state deleted, or a bundle adopted from the Python
 * marathon-acme): the leaf's facts, no failures, no history. No key type is recorded on purpose: only a
 * key type *we* chose can have "changed", so adopted RSA certificates are not all reissued on migration.
 */
export function stateFromCert(c: StoredCert): CertState {
  return {
    name: c.name,
    names: [...c.names],
    requestedBy: [],
    failures: 0,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    serial: c.serial,
  };
}

/** Most DNS names one certificate may carry: Let's Encrypt allows 100, and 25 with the short-lived profiles. */
export function maxNamesPerCertificate(profile: string | undefined): number {
  return profile === 'tlsserver' || profile === 'shortlived' ? 25 : 100;
}

/** True when the issuer name is one of Let's Encrypt staging's ("(STAGING) Ersatz Edamame E1", ...). */
export function isStagingIssuer(issuer: string): boolean {
  return /\(STAGING\)/.test(issuer);
}

/** True when the issuer name is a known test CA (Let's Encrypt staging, "Fake LE", Pebble). */
export function isTestIssuer(issuer: string): boolean {
  return /\(STAGING\)|Fake LE|Pebble/i.test(issuer);
}
