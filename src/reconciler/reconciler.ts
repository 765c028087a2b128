/**
 * The loop: snapshots and timers trigger a plan; decisions become jobs on a keyed queue (one job per
 * certificate, a concurrency cap, soon-expiring renewals first, new orders within a budget); results are
 * written to the store and the state records; changes reach the load balancers in batches.
 *
 * Contract: never throws out of its loop; every failure is recorded per certificate and backed off;
 * `start(signal)` resolves after `signal` aborts and in-flight writes have finished.
 */
import { plan, type Decision, type Work } from '../domain/plan.js';
import { recordFailure, recordRenewalInfo, recordSuccess, stateFromCert } from '../domain/policy.js';
import { mergeSnapshots } from '../domain/desired.js';
import type { Issuer, Notifier, Store } from '../domain/contracts.js';
import type { CertSpec, CertState, KeyType, Problem, Snapshot, StoredCert } from '../domain/types.js';
import { describeError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { SlidingWindow } from '../lib/sliding-window.js';
import { backoffDelay, type BackoffPolicy } from '../lib/backoff.js';
import { sleep } from '../lib/abort.js';
import { failureFacts } from './failure.js';
import {
  certificateStatus,
  publishCertificateMetrics,
  publishProblemMetrics,
  type ReconcilerStatus,
} from './report.js';

export type { CertificateStatus, ReconcilerStatus } from './report.js';

const HOUR = 3600_000;
const MAX_SLEEP_MS = HOUR;
/** After an unexpected failure of a check or a removal, wait this long before the next try (no hot loop). */
const DEFER_MS = HOUR;
const REMOVE_RETRY_MS = 5 * 60_000;
/** Re-reading an unreadable storage directory: 1 s doubling to a minute. */
const STORAGE_RETRY: BackoffPolicy = { baseMs: 1000, capMs: 60_000, factor: 2, jitter: 0.2 };
/** Flush delay when no other order could join the batch. */
const IDLE_FLUSH_MS = 20;

export interface ReconcilerOptions {
  readonly store: Store;
  readonly issuer: Issuer;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Names of the sources that must each deliver a snapshot before anything counts as unwanted. */
  readonly sources: readonly string[];
  readonly keyType: KeyType;
  readonly profile?: string;
  readonly preferredChain?: string;
  readonly removeAfterMs: number;
  readonly maxRemovalFraction: number;
  readonly revokeRemoved: boolean;
  readonly productionCa: boolean;
  readonly maxConcurrentOrders: number;
  /** New orders per 3 hours; 0 = no budget. Renewals are exempt (as Let's Encrypt exempts them). */
  readonly orderBudget: number;
  /** Failure backoff (default: 5 minutes doubling to a day). */
  readonly backoff?: BackoffPolicy;
  /** Batch window for load-balancer notifications (default 1 s; at most `notifyMaxDelayMs`). */
  readonly notifyDebounceMs?: number;
  readonly notifyMaxDelayMs?: number;
  /** Ask the sources for a fresh reading (a removal is due but the last snapshot predates its deadline). */
  readonly requestResync?: () => void;
  readonly clock?: () => number;
  readonly random?: () => number;
}

/** At most one resync request per this interval, whatever the plans say. */
const RESYNC_REQUEST_INTERVAL_MS = 10_000;

type JobKind = Work | 'check-ari' | 'remove';
interface Job {
  readonly name: string;
  kind: JobKind;
  spec?: CertSpec;
  reason: string;
  priority: number;
  ariRenewal: boolean;
  running: boolean;
}

export class Reconciler {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly snapshots = new Map<string, { snapshot: Snapshot; at: number }>();
  private desired = new Map<string, CertSpec>();
  private problems: readonly Problem[] = [];
  private stored = new Map<string, StoredCert>();
  private unmanaged: readonly string[] = [];
  private states = new Map<string, CertState>();
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  private readonly budget: SlidingWindow;
  /** `kind name` -> not before (ARI checks and removals that failed). */
  private readonly deferred = new Map<string, number>();
  private ariSupported: boolean | undefined;
  private held: string[] = [];
  private releaseRequested = false;
  private loaded = false;
  private lastPlanAt: number | undefined;
  private lastResyncRequest = 0;
  private budgetBlocked = false;
  private planTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private planning = false;
  private planAgain = false;
  private readonly pending = { written: new Set<string>(), removed: new Set<string>(), since: 0 };
  private flushTimer: NodeJS.Timeout | undefined;
  private signal: AbortSignal = new AbortController().signal;

  constructor(private readonly opts: ReconcilerOptions) {
    this.log = opts.logger.child({ component: 'reconciler' });
    this.now = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.budget = new SlidingWindow(opts.orderBudget, 3 * HOUR);
  }

  /** Load what exists, then plan on every trigger until `signal` aborts; waits for in-flight jobs. */
  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    await this.loadObserved();
    this.trigger();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearTimeout(this.planTimer);
    clearTimeout(this.wakeTimer);
    await Promise.allSettled([...this.running]);
    clearTimeout(this.flushTimer);
  }

  /** A source delivered a full snapshot. */
  setSnapshot(source: string, snapshot: Snapshot): void {
    this.snapshots.set(source, { snapshot, at: this.now() });
    this.opts.metrics?.lastSnapshotTimestamp.set({ source }, this.now() / 1000);
    const merged = mergeSnapshots([...this.snapshots.values()].map((s) => s.snapshot));
    this.desired = new Map(merged.specs.map((s) => [s.name, s]));
    this.problems = merged.problems;
    if (this.opts.metrics) publishProblemMetrics(this.opts.metrics, this.problems);
    this.trigger();
  }

  /** Re-read the store (SIGHUP) and plan. */
  async refresh(): Promise<void> {
    await this.loadObserved();
    this.trigger();
  }

  /** An operator releases the removals the mass-removal guard holds (one plan's worth). */
  releaseRemovals(): string[] {
    const released = [...this.held];
    this.releaseRequested = true;
    this.log.warn({ domains: released }, 'held removals released by operator');
    this.trigger();
    return released;
  }

  /** Plan soon (coalesced). */
  trigger(): void {
    if (!this.loaded || this.signal.aborted) return;
    if (this.planning) {
      this.planAgain = true;
      return;
    }
    if (this.planTimer) return;
    this.planTimer = setTimeout(() => {
      this.planTimer = undefined;
      void this.runPlan();
    }, 0);
  }

  /** Bring the per-certificate metrics up to date (called when /metrics is scraped, not on every plan). */
  publishMetrics(): void {
    if (this.opts.metrics) publishCertificateMetrics(this.opts.metrics, this.status().certificates);
  }

  status(): ReconcilerStatus {
    const now = this.now();
    const names = new Set([...this.desired.keys(), ...this.stored.keys(), ...this.states.keys()]);
    const certificates = [...names].sort().map((name) => {
      const job = this.jobs.get(name);
      return certificateStatus(
        {
          name,
          spec: this.desired.get(name),
          stored: this.stored.get(name),
          state: this.states.get(name),
          held: this.held.includes(name),
          ...(job ? { job: `${job.kind}${job.running ? ' (running)' : ' (queued)'}: ${job.reason}` } : {}),
        },
        now,
      );
    });
    const running = [...this.jobs.values()].filter((j) => j.running).length;
    return {
      ready: this.loaded,
      ...(this.lastPlanAt !== undefined ? { lastPlanAt: new Date(this.lastPlanAt) } : {}),
      certificates,
      unmanaged: this.unmanaged,
      heldRemovals: [...this.held],
      problems: this.problems,
      queue: { running, queued: this.jobs.size - running },
      ...(this.ariSupported !== undefined ? { ariSupported: this.ariSupported } : {}),
    };
  }

  private async loadObserved(): Promise<void> {
    for (let attempt = 1; !this.signal.aborted; attempt++) {
      try {
        const [listing, states] = await Promise.all([this.opts.store.list(), this.opts.store.loadStates()]);
        this.stored = new Map(listing.certs.map((c) => [c.name, c]));
        this.unmanaged = listing.unmanaged;
        this.states = states;
        // State is derived data: a certificate without a record gets one rebuilt from its PEM.
        for (const c of listing.certs) if (!this.states.has(c.name)) this.states.set(c.name, stateFromCert(c));
        if (!this.loaded) await this.restoreBudget();
        this.loaded = true;
        this.log.info({ certificates: this.stored.size, unmanaged: this.unmanaged.length }, 'storage loaded');
        return;
      } catch (err) {
        const retry = backoffDelay(STORAGE_RETRY, attempt, this.random());
        this.log.error({ err, retry_in: Math.round(retry / 1000) }, 'cannot read storage');
        await sleep(retry, this.signal).catch(() => undefined);
      }
    }
  }

  private desiredAt(): Date | undefined {
    let oldest = Infinity;
    for (const source of this.opts.sources) {
      const s = this.snapshots.get(source);
      if (!s) return undefined;
      oldest = Math.min(oldest, s.at);
    }
    return new Date(oldest === Infinity ? this.now() : oldest);
  }

  private async runPlan(): Promise<void> {
    if (this.signal.aborted) return;
    this.planning = true;
    try {
      const now = this.now();
      const released = this.releaseRequested;
      this.releaseRequested = false;
      const p = plan({
        now: new Date(now),
        desired: this.desired,
        desiredAt: this.desiredAt(),
        stored: this.stored,
        states: this.states,
        policy: {
          removeAfterMs: this.opts.removeAfterMs,
          keyType: this.opts.keyType,
          maxRemovalFraction: this.opts.maxRemovalFraction,
          productionCa: this.opts.productionCa,
          ariSupported: this.ariSupported,
        },
        removalsReleased: released,
      });
      const held: string[] = [];
      const queuedNow = new Set<string>();
      let wakeAt = p.wakeAt?.getTime() ?? Infinity;
      for (const d of p.decisions) {
        if (d.kind === 'hold-removal') held.push(d.name);
        const retryAt = this.deferred.get(`${d.kind} ${d.name}`);
        if (retryAt !== undefined && retryAt > now) {
          wakeAt = Math.min(wakeAt, retryAt);
          continue;
        }
        if (await this.apply(d, now)) queuedNow.add(d.name);
        // These change the state the plan was made from (e.g. a grace now has a deadline): plan again.
        if (d.kind === 'mark-unwanted' || d.kind === 'clear-unwanted' || d.kind === 'forget') this.planAgain = true;
      }
      this.withdrawStaleJobs(queuedNow);
      if (p.decisions.some((d) => d.kind === 'none' && d.needsSnapshot))
        wakeAt = Math.min(wakeAt, this.requestResync(now));
      this.reportHeld(held);
      wakeAt = Math.min(wakeAt, this.dispatch());
      this.lastPlanAt = now;
      this.scheduleWake(wakeAt);
    } catch (err) {
      this.log.error({ err }, 'plan failed');
      this.scheduleWake(this.now() + 60_000);
    } finally {
      this.planning = false;
      if (this.planAgain) {
        this.planAgain = false;
        this.trigger();
      }
    }
  }

  /** Ask the sources for a fresh snapshot (rate-limited); returns when to plan again if none came. */
  private requestResync(now: number): number {
    if (!this.opts.requestResync) return Infinity;
    if (now - this.lastResyncRequest >= RESYNC_REQUEST_INTERVAL_MS) {
      this.lastResyncRequest = now;
      this.log.debug({}, 'removal due: asking the sources for a fresh snapshot');
      this.opts.requestResync();
    }
    return this.lastResyncRequest + RESYNC_REQUEST_INTERVAL_MS;
  }

  /** Carry out one decision; true when it put a job on the queue. */
  private async apply(d: Decision, now: number): Promise<boolean> {
    switch (d.kind) {
      case 'issue':
      case 'renew':
        this.enqueue({
          name: d.name,
          kind: d.kind,
          spec: d.spec,
          reason: d.reason,
          priority: d.priority,
          ariRenewal: d.ariRenewal,
          running: false,
        });
        return true;
      case 'check-ari':
        this.enqueue({
          name: d.name,
          kind: 'check-ari',
          reason: d.reason,
          priority: -1,
          ariRenewal: false,
          running: false,
        });
        return true;
      case 'remove':
        this.enqueue({
          name: d.name,
          kind: 'remove',
          reason: d.reason,
          priority: -2,
          ariRenewal: false,
          running: false,
        });
        return true;
      case 'mark-unwanted': {
        const state = this.stateOf(d.name);
        await this.saveState({ ...state, unwantedSince: new Date(now).toISOString() });
        this.log.info(
          { domain: d.name, remove_at: new Date(now + this.opts.removeAfterMs).toISOString() },
          'certificate no longer requested',
        );
        return false;
      }
      case 'clear-unwanted': {
        const { unwantedSince: _u, ...rest } = this.stateOf(d.name);
        await this.saveState(rest);
        this.log.info({ domain: d.name }, 'certificate requested again');
        return false;
      }
      case 'forget':
        this.states.delete(d.name);
        await this.opts.store
          .saveState(d.name, null)
          .catch((err: unknown) => this.log.warn({ domain: d.name, err }, 'cannot delete state record'));
        return false;
      case 'hold-removal':
      case 'none':
        return false;
    }
  }

  /**
   * A queued job the latest plan no longer asks for is withdrawn: an app deleted while its order waited
   * for the budget gets no certificate, and renewals of unwanted names stop at once. Running jobs finish.
   */
  private withdrawStaleJobs(queuedNow: ReadonlySet<string>): void {
    for (const [name, job] of this.jobs) {
      if (job.running || queuedNow.has(name)) continue;
      this.jobs.delete(name);
      this.log.info({ domain: name, job: job.kind }, 'queued job withdrawn: no longer needed');
    }
  }

  private enqueue(job: Job): void {
    const existing = this.jobs.get(job.name);
    if (existing?.running) return;
    this.jobs.set(job.name, existing ? Object.assign(existing, { ...job, running: false }) : job);
  }

  /** Start queued jobs up to the cap; returns when to look again if the order budget holds some back. */
  private dispatch(): number {
    let wakeAt = Infinity;
    const queued = [...this.jobs.values()]
      .filter((j) => !j.running)
      .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
    let running = this.jobs.size - queued.length;
    let budgetChecked = false;
    for (const job of queued) {
      if (running >= this.opts.maxConcurrentOrders) break;
      if (job.kind === 'issue' && this.opts.orderBudget > 0) {
        budgetChecked = true;
        const now = this.now();
        if (!this.budget.available(now)) {
          wakeAt = Math.min(wakeAt, this.budget.nextFreeAt(now));
          continue;
        }
        this.budget.record(now);
        void this.persistBudget(now);
      }
      job.running = true;
      running++;
      const p = this.runJob(job).finally(() => {
        this.running.delete(p);
        if (this.jobs.get(job.name) === job) this.jobs.delete(job.name);
        this.trigger();
      });
      this.running.add(p);
    }
    const blocked = wakeAt !== Infinity;
    if (!budgetChecked) return wakeAt;
    if (blocked && !this.budgetBlocked)
      this.log.warn(
        { queued: queued.length, budget: this.opts.orderBudget, next_order_at: new Date(wakeAt).toISOString() },
        'order budget exhausted, new orders wait',
      );
    if (!blocked && this.budgetBlocked) this.log.info({}, 'order budget available again');
    this.budgetBlocked = blocked;
    return wakeAt;
  }

  /** The new-order budget survives restarts: a crash-looping daemon must not reset its own rate limit. */
  private async restoreBudget(): Promise<void> {
    const account = await this.opts.store.readAccountState();
    const times = (account?.newOrders ?? []).map((t) => Date.parse(t)).filter((t) => t > this.now() - 3 * HOUR);
    this.budget.restore(times);
    if (times.length > 0)
      this.log.info({ recent_orders: times.length, budget: this.opts.orderBudget }, 'order budget restored');
  }

  private async persistBudget(now: number): Promise<void> {
    const newOrders = this.budget.times(now).map((t) => new Date(t).toISOString());
    await this.opts.store
      .writeAccountState({ newOrders })
      .catch((err: unknown) => this.log.warn({ err }, 'cannot write account state'));
  }

  private async runJob(job: Job): Promise<void> {
    try {
      if (job.kind === 'check-ari') await this.checkRenewalInfo(job.name);
      else if (job.kind === 'remove') await this.remove(job.name, job.reason);
      else await this.order(job);
    } catch (err) {
      if (!isAbortError(err)) this.log.error({ domain: job.name, err }, 'job failed unexpectedly');
    }
  }

  private async order(job: Job): Promise<void> {
    const spec = job.spec!;
    const before = this.stateOf(job.name, spec);
    const attempt = before.failures + 1;
    const stored = this.stored.get(job.name);
    const replaces = job.ariRenewal && stored ? this.opts.issuer.certId(stored.certPem) : undefined;
    this.log.info(
      {
        domain: spec.name,
        names: spec.names,
        reason: job.reason,
        attempt,
        requested_by: spec.requestedBy,
        ...(replaces ? { replaces } : {}),
      },
      job.kind === 'renew' ? 'renewing certificate' : 'ordering certificate',
    );
    try {
      const issued = await this.opts.issuer.issue(
        {
          names: spec.names,
          keyType: this.opts.keyType,
          ...(this.opts.profile ? { profile: this.opts.profile } : {}),
          ...(this.opts.preferredChain ? { preferredChain: this.opts.preferredChain } : {}),
          ...(replaces ? { replaces } : {}),
        },
        this.signal,
      );
      const installed = await this.opts.store.install(spec, issued);
      this.stored.set(spec.name, installed);
      const now = this.now();
      await this.saveState(
        recordSuccess(
          { ...before, requestedBy: spec.requestedBy },
          installed,
          this.opts.keyType,
          new Date(now),
          this.random(),
        ),
      );
      this.deferred.delete(`check-ari ${spec.name}`);
      this.opts.metrics?.orders.inc({ result: 'success', problem_type: '' });
      this.log.info(
        {
          domain: spec.name,
          serial: installed.serial,
          not_after: installed.notAfter.toISOString(),
          reason: job.reason,
        },
        'certificate installed',
      );
      this.queueChange('written', spec.name);
    } catch (err) {
      if (this.signal.aborted && isAbortError(err)) return;
      const facts = failureFacts(err);
      const now = this.now();
      let next = recordFailure(before, facts, new Date(now), this.random(), this.opts.backoff);
      // RFC 9773 §5: the replaced certificate was already replaced; the next order goes without `replaces`.
      if (facts.type === 'alreadyReplaced') {
        const { ari: _a, ...rest } = next;
        next = rest;
      }
      await this.saveState(next);
      this.opts.metrics?.orders.inc({ result: 'failure', problem_type: facts.type ?? facts.code });
      const retryIn = Math.max(0, Date.parse(next.nextAttempt!) - now);
      this.log.warn(
        {
          domain: spec.name,
          attempt,
          code: facts.code,
          problem_type: facts.type,
          detail: facts.detail,
          retry_in: Math.round(retryIn / 1000),
          next_attempt: next.nextAttempt,
        },
        'certificate order failed',
      );
    }
  }

  private async checkRenewalInfo(name: string): Promise<void> {
    const stored = this.stored.get(name);
    if (!stored) return;
    try {
      const info = await this.opts.issuer.renewalInfo(stored.certPem, this.signal);
      if (info === null) {
        if (this.ariSupported !== false)
          this.log.info({}, 'CA offers no renewal information (ARI); renewing at two thirds of the lifetime');
        this.ariSupported = false;
        return;
      }
      this.ariSupported = true;
      const next = recordRenewalInfo(this.stateOf(name), stored, info, new Date(this.now()), this.random());
      await this.saveState(next);
      this.log.info(
        {
          domain: name,
          window_start: next.ari!.start,
          window_end: next.ari!.end,
          renew_at: next.renewAt,
          explanation_url: next.ari!.explanationUrl,
        },
        'renewal information received',
      );
    } catch (err) {
      if (isAbortError(err) && this.signal.aborted) return;
      this.deferred.set(`check-ari ${name}`, this.now() + DEFER_MS);
      this.log.warn({ domain: name, err, retry_in: DEFER_MS / 1000 }, 'renewal information request failed');
    }
  }

  private async remove(name: string, reason: string): Promise<void> {
    const stored = this.stored.get(name);
    if (stored && this.opts.revokeRemoved) {
      try {
        await this.opts.issuer.revoke(stored.certPem, 5, this.signal);
        this.log.info({ domain: name, serial: stored.serial }, 'certificate revoked');
      } catch (err) {
        this.log.warn({ domain: name, err }, 'revocation failed; archiving anyway');
      }
    }
    try {
      await this.opts.store.archive(name);
    } catch (err) {
      this.deferred.set(`remove ${name}`, this.now() + REMOVE_RETRY_MS);
      this.log.error({ domain: name, err, retry_in: REMOVE_RETRY_MS / 1000 }, 'cannot archive certificate');
      return;
    }
    this.deferred.delete(`remove ${name}`);
    this.stored.delete(name);
    this.states.delete(name);
    await this.opts.store.saveState(name, null);
    this.log.info({ domain: name, reason }, 'certificate removed');
    this.queueChange('removed', name);
  }

  private stateOf(name: string, spec?: CertSpec): CertState {
    const existing = this.states.get(name);
    if (existing) return existing;
    const stored = this.stored.get(name);
    if (stored) return stateFromCert(stored);
    return { name, names: spec?.names ?? [name], requestedBy: spec?.requestedBy ?? [], failures: 0 };
  }

  private async saveState(state: CertState): Promise<void> {
    this.states.set(state.name, state);
    try {
      await this.opts.store.saveState(state.name, state);
    } catch (err) {
      // The in-memory record still drives backoff; only a restart would lose it.
      this.log.error({ domain: state.name, err }, 'cannot write state record');
    }
  }

  private queueChange(kind: 'written' | 'removed', name: string): void {
    if (this.pending.written.size + this.pending.removed.size === 0) this.pending.since = this.now();
    this.pending[kind].add(name);
    // Nothing else in flight means nothing to batch with: tell the load balancers almost at once.
    this.scheduleFlush(this.ordersInFlight(name) ? (this.opts.notifyDebounceMs ?? 1000) : IDLE_FLUSH_MS);
  }

  /** Orders running or queued, other than `except`'s own (theirs would join the batch). */
  private ordersInFlight(except?: string): boolean {
    for (const j of this.jobs.values())
      if ((j.kind === 'issue' || j.kind === 'renew') && j.name !== except) return true;
    return false;
  }

  private scheduleFlush(delay: number): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => void this.flush(), delay);
  }

  /** One notification per batch: waits while orders still run (up to notifyMaxDelayMs). */
  private async flush(): Promise<void> {
    if (
      this.ordersInFlight() &&
      this.now() - this.pending.since < (this.opts.notifyMaxDelayMs ?? 30_000) &&
      !this.signal.aborted
    ) {
      this.scheduleFlush(this.opts.notifyDebounceMs ?? 1000);
      return;
    }
    const change = { written: [...this.pending.written], removed: [...this.pending.removed] };
    this.pending.written.clear();
    this.pending.removed.clear();
    if (change.written.length + change.removed.length === 0) return;
    const result = await this.opts.notifier
      .notify(change, new AbortController().signal)
      .catch((err: unknown) => ({ ok: false, detail: describeError(err).message }));
    if (result.ok) this.log.info({ written: change.written, removed: change.removed }, 'load balancers notified');
    else
      this.log.warn(
        { written: change.written, removed: change.removed, detail: result.detail },
        'load balancers not notified; retrying in the background',
      );
    await this.recordDelivery(change.written, result.ok);
  }

  /**
   * Delivery is part of a certificate's record: a failed one marks the written certificates pending
   * (shown in /status); a later successful one clears every pending mark, because a reload loads
   * every file. The notifiers themselves retry failed targets in the background.
   */
  private async recordDelivery(written: readonly string[], ok: boolean): Promise<void> {
    const names = ok ? [...this.states.values()].filter((s) => s.deliveryPending).map((s) => s.name) : written;
    for (const name of names) {
      const state = this.states.get(name);
      if (!state || (state.deliveryPending ?? false) === !ok) continue;
      const { deliveryPending: _d, ...rest } = state;
      await this.saveState(ok ? rest : { ...rest, deliveryPending: true });
    }
  }

  private scheduleWake(at: number): void {
    clearTimeout(this.wakeTimer);
    if (this.signal.aborted) return;
    const delay = Math.min(MAX_SLEEP_MS, Math.max(1000, at - this.now()));
    this.wakeTimer = setTimeout(() => this.trigger(), delay);
    this.wakeTimer.unref?.();
  }

  private reportHeld(held: string[]): void {
    const changed = held.join(',') !== this.held.join(',');
    this.held = held;
    this.opts.metrics?.removalsHeld.set(held.length);
    if (changed && held.length > 0)
      this.log.error(
        { domains: held, count: held.length, managed: this.stored.size },
        'mass removal held; release with POST /removals/release after checking the Marathon group',
      );
  }
}
