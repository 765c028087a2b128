/**
 * The order job, and the installation of what the CA issued.
 *
 * An order goes only when the storage passed its writability check; a new order's budget charge is
 * written durably right before newOrder is sent and given back if the CA never accepted it. A failure
 * is charged to the certificate (backoff, `backoff` event) only when it is the certificate's own
 * (`failureScope`): when the CA was unreachable, a step every order shares failed, or our storage
 * failed, the matching gate closes instead and the order waits for it, nothing counted. A certificate
 * the CA issued but the store could not write is kept (records.keep) and installed when the storage is
 * writable again: never ordered twice.
 *
 * With several CAs (issue 13) the order goes to the most preferred CA whose gate is open and, when it
 * fails there for a reason another CA could fix (`domain/fallback.ts`), to the next open one in the same
 * attempt, each within its own budget; `replaces` goes only to the CA that issued the certificate.
 *
 * Contract: `order` and `installKept` never reject; an abort at shutdown records nothing.
 */
import type { OrderProgress, PendingOrder, Store } from '../domain/contracts.js';
import { fallbackVerdict } from '../domain/fallback.js';
import type { EventSink } from '../domain/events.js';
import { recordFailure, recordSuccess } from '../domain/policy.js';
import type { CertSpec, CertState, IssuedCertificate, KeyType } from '../domain/types.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { describeError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { OrderBudget } from './budget.js';
import type { ChangeKind } from './delivery.js';
import { type FailureScope, failureFacts, failureScope, type OrderPhase, storageErrno } from './failure.js';
import type { Gate } from './gate.js';
import type { Job } from './queue.js';
import { type CaChoice, recordedCa } from './cas.js';
import type { Deferrals, Records } from './records.js';

export interface OrdersOptions {
  /** Every configured CA, in order of preference (at least one). */
  readonly cas: readonly CaChoice[];
  readonly store: Pick<Store, 'install' | 'checkWritable' | 'readPendingOrder' | 'writePendingOrder'>;
  readonly records: Records;
  readonly deferrals: Deferrals;
  readonly budget: Pick<OrderBudget, 'commit' | 'release' | 'reserve' | 'enabled'>;
  /** The gate of each CA (by directory URL) and of the storage. */
  readonly gates: { ca(directoryUrl: string | undefined): Gate; readonly storage: Gate };
  readonly events: EventSink;
  readonly changed: (kind: ChangeKind, name: string) => void;
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly signal: () => AbortSignal;
  readonly keyType: KeyType;
  readonly backoff?: BackoffPolicy;
}

/** How one attempt at one CA ended, when it failed. */
interface Failure {
  readonly err: unknown;
  readonly scope: FailureScope;
}

export class Orders {
  constructor(private readonly opts: OrdersOptions) {}

  /** Order `job.spec` (most preferred open CA first, then the fallbacks) and install it (see the module contract). */
  async order(job: Job): Promise<void> {
    const progress: { ended?: boolean } = {};
    try {
      if (!(await this.storageWritable(job.name))) return;
      const issued = await this.issue(job, progress);
      if (issued) await this.install(job.spec!, issued.cert, job.reason, issued.ca);
      if (issued || progress.ended) await this.forgetPending(job.name);
    } finally {
      if (job.reservation) await this.opts.budget.release(job.reservation);
      job.reservation = undefined;
    }
  }

  /** Install the certificate kept for `job.spec` (issued earlier, its write failed). */
  async installKept(job: Job, ca: string): Promise<void> {
    const kept = this.opts.records.keptFor(job.spec!);
    if (!kept) return;
    await this.install(kept.spec, kept.cert, job.reason, kept.cert.issuer ?? ca);
  }

  /**
   * The order: at each open CA in order of preference, until one issues or a failure another CA could
   * not fix (`fallbackVerdict`); undefined when it failed (the last failure recorded, or waiting on a
   * gate). A CA that was unreachable closes its own gate; nothing of that is counted.
   */
  private async issue(
    job: Job,
    progress: { ended?: boolean },
  ): Promise<{ cert: IssuedCertificate; ca: string } | undefined> {
    const before = this.opts.records.stateOf(job.name, job.spec!);
    const { store } = this.opts;
    const pending = store.readPendingOrder ? await store.readPendingOrder(job.name) : null;
    const holds = (ca: string): boolean => pending !== null && holdsOrder(pending, ca);
    // An order a CA already accepted is finished there first (never ordered again elsewhere while that CA
    // answers); only when its CA is closed does the name fall back to the next CA, as any order would.
    const open = this.opts.cas.filter((c) => this.opts.gates.ca(c.issuer.directoryUrl).open);
    const candidates = [
      ...open.filter((c) => holds(c.issuer.directoryUrl)),
      ...open.filter((c) => !holds(c.issuer.directoryUrl)),
    ];
    let last: Failure | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const choice = candidates[i]!;
      const ca = choice.issuer.directoryUrl;
      // A resumed order was charged when it was placed: it needs no new place in the budget.
      if (!holds(ca) && !this.budgetAt(job, ca)) break;
      const state: { phase: OrderPhase; orderUrl?: string } = { phase: 'preparing' };
      try {
        const resume = holds(ca) ? (pending ?? undefined) : undefined;
        const cert = { ...(await this.attempt(job, choice, state, before, resume)), issuer: ca };
        job.reservation = undefined; // accepted: the charge stays
        this.opts.gates.ca(ca).succeeded();
        return { cert, ca };
      } catch (err) {
        // The CA accepted the order: its charge stays; the next CA needs a place of its own.
        if (state.phase === 'created') job.reservation = undefined;
        if (this.opts.signal().aborted && isAbortError(err)) return undefined;
        last = { err, scope: failureScope(err, state.phase) };
        if (last.scope === 'ca') this.closeGate('ca', err, ca);
        const verdict = fallbackVerdict(err, state.phase);
        const next = candidates[i + 1];
        if (!verdict.next || !next || last.scope === 'storage') break;
        const { detail } = failureFacts(err);
        this.opts.log.warn(
          { domain: job.name, ca, next_ca: next.issuer.directoryUrl, reason: verdict.reason, detail },
          'order failed at a CA; trying the next CA',
        );
      }
    }
    if (last) await this.failed(before, last.err, last.scope);
    // The certificate's own failure ends its order: the next attempt orders anew. An outage keeps it.
    if (last?.scope === 'certificate') progress.ended = true;
    return undefined;
  }

  /**
   * A new order needs a place in the budget of the CA it goes to: the one the queue reserved if it is
   * that CA's, else a fresh one (false, nothing sent there, when that CA's budget is spent).
   */
  private budgetAt(job: Job, ca: string): boolean {
    const { budget } = this.opts;
    if (job.kind !== 'issue' || !budget.enabled) return true;
    if (job.reservation?.ca === ca) return true;
    if (job.reservation) void budget.release(job.reservation);
    job.reservation = budget.reserve(ca);
    if (!job.reservation)
      this.opts.log.info({ domain: job.name, ca }, 'order budget of this CA spent; not tried there');
    return job.reservation !== undefined;
  }

  /** One attempt at one CA. */
  private async attempt(
    job: Job,
    choice: CaChoice,
    state: { phase: OrderPhase; orderUrl?: string },
    before: CertState,
    resume: PendingOrder | undefined,
  ): Promise<IssuedCertificate> {
    const { records } = this.opts;
    const spec = job.spec!;
    const ca = choice.issuer.directoryUrl;
    const stored = records.stored.get(job.name);
    // ARI's `replaces` only to the CA that issued the certificate replaced (never another CA's id); none
    // for a certificate without an id (no AKI; it never has an ARI window either).
    const issuedBy = recordedCa(records.states.get(job.name), stored) ?? this.opts.cas[0]!.issuer.directoryUrl;
    const replaces = job.ariRenewal && stored && issuedBy === ca ? stored.certId : undefined;
    this.opts.events.emit({
      type: 'requested',
      name: spec.name,
      at: this.at(),
      kind: job.kind === 'renew' ? 'renew' : 'issue',
      names: spec.names,
      reason: job.reason,
      attempt: before.failures + 1,
      requested_by: spec.requestedBy,
      replaces,
      issuer: ca,
    });
    const progress = this.progressOf(job, ca, state);
    const { profile, preferredChain } = choice;
    const request = {
      names: spec.names,
      keyType: this.opts.keyType,
      profile,
      preferredChain,
      replaces,
      progress,
      challenge: spec.challenge,
      resume,
    };
    return choice.issuer.issue(request, this.opts.signal());
  }

  /** The order's progress reports: the budget charge, the pending order persisted, the history events. */
  private progressOf(job: Job, ca: string, state: { phase: OrderPhase; orderUrl?: string }): OrderProgress {
    const { store, budget } = this.opts;
    const spec = job.spec!;
    return {
      sending: async () => {
        state.phase = 'sending';
        if (job.reservation) await budget.commit(job.reservation);
      },
      created: (orderUrl) => {
        state.phase = 'created';
        state.orderUrl = orderUrl;
        this.opts.events.emit({ type: 'ordered', name: spec.name, at: this.at(), issuer: ca, order_url: orderUrl });
      },
      // Persisted before any challenge is answered or the order finalized: a successor resumes it.
      ...(store.writePendingOrder ? { pending: (order) => store.writePendingOrder!(spec.name, order) } : {}),
      challenge: (f) =>
        this.opts.events.emit({
          type: `challenge_${f.phase}`,
          name: spec.name,
          at: this.at(),
          identifier: f.identifier,
          challenge_type: f.type,
          ...(f.problemType ? { problem_type: f.problemType } : {}),
          ...(f.detail ? { detail: f.detail } : {}),
        }),
      finalized: () =>
        this.opts.events.emit({ type: 'finalized', name: spec.name, at: this.at(), order_url: state.orderUrl }),
    };
  }

  /** The order is over (issued, or failed for good): its persisted copy goes. Never rejects. */
  private async forgetPending(name: string): Promise<void> {
    const { store, log } = this.opts;
    if (!store.writePendingOrder) return;
    await store
      .writePendingOrder(name, null)
      .catch((err: unknown) => log.warn({ domain: name, err }, 'cannot delete the pending order'));
  }

  /** Storage must be writable before anything is ordered; false (and the storage gate closed) if not. */
  private async storageWritable(name: string): Promise<boolean> {
    try {
      await this.opts.store.checkWritable();
      return true;
    } catch (err) {
      this.closeGate('storage', err);
      this.opts.log.debug({ domain: name }, 'order waits for the storage');
      return false;
    }
  }

  /**
   * Install what the CA issued and record it (`installed`, then `renewal_scheduled`); the name goes to
   * the delivery. A storage failure keeps the certificate for later; a bad bundle is the certificate's
   * failure (ordered again after its backoff).
   */
  private async install(spec: CertSpec, issued: IssuedCertificate, reason: string, ca: string): Promise<void> {
    const { records } = this.opts;
    const before = records.stateOf(spec.name, spec);
    let installed: Awaited<ReturnType<Store['install']>>;
    try {
      installed = await this.opts.store.install(spec, issued);
    } catch (err) {
      await this.installFailed(before, spec, issued, err);
      return;
    }
    this.opts.gates.storage.succeeded();
    await records.dropKept(spec.name);
    records.setStored(spec.name, installed);
    const now = this.opts.now();
    const at = new Date(now).toISOString();
    const { keyType } = this.opts;
    const next = recordSuccess(
      { ...before, requestedBy: spec.requestedBy },
      installed,
      keyType,
      new Date(now),
      this.opts.random(),
      ca,
    );
    await records.save(next);
    this.opts.deferrals.clear('check-ari', spec.name);
    const { events } = this.opts;
    const { name } = spec;
    const notAfter = installed.notAfter.toISOString();
    events.emit({ type: 'installed', name, at, serial: installed.serial, not_after: notAfter, issuer: ca, reason });
    if (next.renewAt)
      events.emit({ type: 'renewal_scheduled', name, at, renew_at: next.renewAt, reason: 'two-thirds-lifetime' });
    this.opts.changed('written', spec.name);
  }

  /**
   * The write of an issued certificate failed. A bad bundle is the certificate's failure (ordered again
   * after its backoff). Otherwise the certificate is kept: if the storage as a whole cannot be written,
   * everything waits on the storage gate; if only this name fails (a directory in its way, say), only it
   * backs off, and is installed from what was kept, not ordered again.
   */
  private async installFailed(
    before: CertState,
    spec: CertSpec,
    issued: IssuedCertificate,
    err: unknown,
  ): Promise<void> {
    const { records, log } = this.opts;
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'BUNDLE_INVALID' || code === 'INVALID_NAME') {
      await records.dropKept(spec.name);
      await this.failed(before, err, 'certificate');
      return;
    }
    await records.keep(spec, issued);
    const storageDown = await this.opts.store.checkWritable().then(
      () => false,
      () => true,
    );
    log.error(
      { domain: spec.name, errno: storageErrno(err), err },
      'certificate issued but not written; kept, installed once it can be written',
    );
    if (storageDown) this.closeGate('storage', err);
    else await this.failed(before, err, 'certificate');
  }

  /** A failure: the certificate's own is recorded and backed off; otherwise its gate closes. */
  private async failed(before: CertState, err: unknown, scope: FailureScope): Promise<void> {
    if (scope !== 'certificate') {
      if (scope === 'storage') this.closeGate(scope, err);
      this.opts.log.debug({ domain: before.name, err }, `order waits for the ${scope === 'ca' ? 'CA' : 'storage'}`);
      return;
    }
    const facts = failureFacts(err);
    const now = this.opts.now();
    let next = recordFailure(before, facts, new Date(now), this.opts.random(), this.opts.backoff);
    // RFC 9773 §5: the replaced certificate was already replaced; the next order goes without `replaces`.
    if (facts.type === 'alreadyReplaced') {
      const { ari: _a, ...rest } = next;
      next = rest;
    }
    await this.opts.records.save(next);
    this.opts.events.emit({
      type: 'backoff',
      name: before.name,
      at: new Date(now).toISOString(),
      attempt: next.failures,
      code: facts.code,
      problem_type: facts.type,
      detail: facts.detail,
      next_attempt: next.nextAttempt!,
    });
  }

  private closeGate(scope: 'ca' | 'storage', err: unknown, ca?: string): void {
    const { code, message } = describeError(err);
    const facts = failureFacts(err);
    const errno = scope === 'storage' ? storageErrno(err) : undefined;
    const gate = scope === 'ca' ? this.opts.gates.ca(ca) : this.opts.gates.storage;
    gate.close({
      code: code ?? (scope === 'ca' ? 'CA_UNAVAILABLE' : 'STORAGE_CHECK_FAILED'),
      detail: facts.detail || message,
      ...(errno ? { errno } : {}),
    });
  }

  private at(): string {
    return new Date(this.opts.now()).toISOString();
  }
}

/**
 * Whether the CA of directory `ca` holds the pending order: the recorded directory URL, or (for files
 * written before several CAs were supported) the same scheme, host and port as the order URL.
 */
function holdsOrder(pending: PendingOrder, ca: string): boolean {
  if (pending.directoryUrl !== undefined) return pending.directoryUrl === ca;
  try {
    return new URL(pending.orderUrl).origin === new URL(ca).origin;
  } catch {
    return false;
  }
}
