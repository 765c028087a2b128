/**
 * Lifecycle events of certificates, modelled on certmagic's OnEvent: one typed record per fact the daemon
 * learns about a certificate (requested, installed, delivered, backing off, removed, ...). The reconciler
 * emits them; subscribers (logs, metrics, later an operator API's journal) consume them.
 *
 * Every event carries `type` (the discriminant), `name` (the certificate: its file stem), `at` (ISO time
 * of the fact, from the reconciler's clock) and `id` (monotonic per process, assigned by the bus). Facts
 * use snake_case field names, one unit per field, times as ISO strings: they are journal-ready JSON.
 *
 * `ordered`, `challenge_*` and `finalized` come from the Issuer's `OrderProgress` hooks during an order.
 */
import type { Requester } from './types.js';

interface Base {
  /** The certificate (file stem). */
  readonly name: string;
  /** When it happened (ISO 8601). */
  readonly at: string;
  /** Monotonic per process: orders the events of one run. */
  readonly id: number;
}

/** An order was sent to the CA (issue: there is none usable; renew: the one there is due). */
export interface RequestedEvent extends Base {
  readonly type: 'requested';
  readonly kind: 'issue' | 'renew';
  readonly names: readonly string[];
  readonly reason: string;
  /** 1 for the first attempt after a success (or ever). */
  readonly attempt: number;
  readonly requested_by: readonly Requester[];
  /** ARI certID of the certificate it replaces (RFC 9773 §5). */
  readonly replaces?: string;
  /** ACME directory URL of the CA. */
  readonly issuer: string;
}

/** The CA created the order (only if the issuer reports it). */
export interface OrderedEvent extends Base {
  readonly type: 'ordered';
  readonly issuer: string;
  readonly order_url?: string;
}

/** A challenge was presented, validated or failed (only if the issuer reports them). */
export interface ChallengeEvent extends Base {
  readonly type: 'challenge_presented' | 'challenge_validated' | 'challenge_failed';
  readonly identifier: string;
  readonly challenge_type: 'http-01' | 'dns-01';
  /** The CA's problem type and detail (failed). */
  readonly problem_type?: string;
  readonly detail?: string;
}

/** The CA accepted the CSR of the order. */
export interface FinalizedEvent extends Base {
  readonly type: 'finalized';
  readonly order_url?: string;
}

/** A new certificate was written to the storage directory. */
export interface InstalledEvent extends Base {
  readonly type: 'installed';
  readonly serial: string;
  readonly not_after: string;
  /** ACME directory URL of the CA that issued it. */
  readonly issuer: string;
  /** Why it was ordered. */
  readonly reason: string;
}

/**
 * A batch of changes reached (ok) or did not reach the load balancers. One event per certificate of the
 * batch; the batch's facts (`written`, `removed`) are the same on each.
 */
export interface DeliveredEvent extends Base {
  readonly type: 'delivered';
  /** The notifier that delivered (its name, e.g. `marathon-lb`). */
  readonly targets: string;
  readonly ok: boolean;
  readonly detail?: string;
  readonly written: readonly string[];
  readonly removed: readonly string[];
}

/** A renewal moment was chosen: after an installation, or from the CA's renewal information. */
export interface RenewalScheduledEvent extends Base {
  readonly type: 'renewal_scheduled';
  readonly renew_at: string;
  /** `ari-window` or `two-thirds-lifetime`. */
  readonly reason: string;
  /** The CA's suggested window (reason `ari-window`). */
  readonly window?: { readonly start: string; readonly end: string; readonly explanation_url?: string };
}

/** An order failed; the certificate waits until `next_attempt`. */
export interface BackoffEvent extends Base {
  readonly type: 'backoff';
  readonly attempt: number;
  readonly code: string;
  /** ACME problem type, short form (e.g. `rateLimited`). */
  readonly problem_type?: string;
  readonly detail: string;
  readonly next_attempt: string;
}

/** Nobody wants the certificate any more: it is removed at `remove_at` unless wanted again. */
export interface RemovalScheduledEvent extends Base {
  readonly type: 'removal_scheduled';
  readonly remove_at: string;
}

/** Wanted again during its removal grace. */
export interface RemovalCancelledEvent extends Base {
  readonly type: 'removal_cancelled';
}

/**
 * The mass-removal guard holds its removal. One event per newly held certificate; `held` (every name the
 * same plan holds) and `managed` are the same on each.
 */
export interface RemovalHeldEvent extends Base {
  readonly type: 'removal_held';
  readonly held: readonly string[];
  readonly managed: number;
}

/** Archived out of `certs/`. */
export interface RemovedEvent extends Base {
  readonly type: 'removed';
  readonly reason: string;
}

/** Revoked at the CA: before its removal (`--revoke-removed`), or by an operator (`reason` given). */
export interface RevokedEvent extends Base {
  readonly type: 'revoked';
  readonly serial: string;
  /** RFC 5280 reason name, when an operator revoked it. */
  readonly reason?: string;
}

/** An operator asked for a renewal now (API or `marathon-acme renew`); `by` is the token's name. */
export interface RenewRequestedEvent extends Base {
  readonly type: 'renew_requested';
  readonly by: string;
  /** `renew` or, after a revocation, `replace`. */
  readonly why: 'renew' | 'replace';
}

export type LifecycleEvent =
  | RequestedEvent
  | OrderedEvent
  | ChallengeEvent
  | InstalledEvent
  | DeliveredEvent
  | RenewalScheduledEvent
  | BackoffEvent
  | RemovalScheduledEvent
  | RemovalCancelledEvent
  | RemovalHeldEvent
  | RemovedEvent
  | RevokedEvent
  | RenewRequestedEvent
  | FinalizedEvent;

export type LifecycleEventType = LifecycleEvent['type'];

type WithoutId<E> = E extends unknown ? Omit<E, 'id'> : never;
/** An event as its emitter states it: the bus assigns the `id`. */
export type LifecycleEventInput = WithoutId<LifecycleEvent>;

/** Where the reconciler sends its events (an `EventBus`, or anything with this one method). */
export interface EventSink {
  /** Synchronous; never throws (a failing consumer is the sink's business, not the emitter's). */
  emit(event: LifecycleEventInput): void;
}
