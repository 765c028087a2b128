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
 * Contract: `order` and `installKept` never reject; an abort at shutdown records nothing.
 */
import type { Issuer, OrderProgress, Store } from '../domain/contracts.js';
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
import type { Deferrals, Records } from './records.js';

export interface OrdersOptions {
  readonly issuer: Issuer;
  readonly store: Pick<Store, 'install' | 'checkWritable'>;
  readonly records: Records;
  readonly deferrals: Deferrals;
  readonly budget: Pick<OrderBudget, 'commit' | 'release'>;
  readonly gates: { readonly ca: Gate; readonly storage: Gate };
  readonly events: EventSink;
  readonly changed: (kind: ChangeKind, name: string) => void;
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly signal: () => AbortSignal;
  readonly keyType: KeyType;
  readonly profile?: string;
  readonly preferredChain?: string;
  readonly backoff?: BackoffPolicy;
}

export class Orders {
  constructor(private readonly opts: OrdersOptions) {}

  /** Order `job.spec` from `ca` and install it (see the module contract). */
  async order(job: Job, ca: string): Promise<void> {
    const progress: { phase: OrderPhase; orderUrl?: string } = { phase: 'preparing' };
    try {
      if (!(await this.storageWritable(job.name))) return;
      const issued = await this.issue(job, ca, progress);
      if (issued) await this.install(job.spec!, issued, job.reason, ca);
    } finally {
      if (job.reservation && progress.phase !== 'created') await this.opts.budget.release(job.reservation);
    }
  }

  /** Install the certificate kept for `job.spec` (issued earlier, its write failed). */
  async installKept(job: Job, ca: string): Promise<void> {
    const kept = this.opts.records.keptFor(job.spec!);
    if (!kept) return;
    await this.install(kept.spec, kept.cert, job.reason, ca);
  }

  /** The order itself; undefined when it failed (recorded, or waiting on a gate). */
  private async issue(
    job: Job,
    ca: string,
    state: { phase: OrderPhase; orderUrl?: string },
  ): Promise<IssuedCertificate | undefined> {
    const { records, issuer, budget } = this.opts;
    const spec = job.spec!;
    const before = records.stateOf(job.name, spec);
    const stored = records.stored.get(job.name);
    const replaces = job.ariRenewal && stored ? issuer.certId(stored.certPem) : undefined;
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
    const progress: OrderProgress = {
      sending: async () => {
        state.phase = 'sending';
        if (job.reservation) await budget.commit(job.reservation);
      },
      created: (orderUrl) => {
        state.phase = 'created';
        state.orderUrl = orderUrl;
        this.opts.events.emit({ type: 'ordered', name: spec.name, at: this.at(), issuer: ca, order_url: orderUrl });
      },
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
    try {
      const { keyType, profile, preferredChain } = this.opts;
      const request = { names: spec.names, keyType, profile, preferredChain, replaces, progress };
      const issued = await issuer.issue(request, this.opts.signal());
      this.opts.gates.ca.succeeded();
      return issued;
    } catch (err) {
      if (this.opts.signal().aborted && isAbortError(err)) return undefined;
      await this.failed(before, err, failureScope(err, state.phase));
      return undefined;
    }
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
      this.closeGate(scope, err);
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

  private closeGate(scope: 'ca' | 'storage', err: unknown): void {
    const { code, message } = describeError(err);
    const facts = failureFacts(err);
    const errno = scope === 'storage' ? storageErrno(err) : undefined;
    this.opts.gates[scope].close({
      code: code ?? (scope === 'ca' ? 'CA_UNAVAILABLE' : 'STORAGE_CHECK_FAILED'),
      detail: facts.detail || message,
      ...(errno ? { errno } : {}),
    });
  }

  private at(): string {
    return new Date(this.opts.now()).toISOString();
  }
}
