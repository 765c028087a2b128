import { mergeSnapshots } from '../domain/desired.js';
import { type Decision, plan } from '../domain/plan.js';
import { clearPause, maxNamesPerCertificate } from '../domain/policy.js';
import type { CertSpec, Problem, Snapshot } from '../domain/types.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import { retryUntilAborted } from '../lib/retry.js';
import { OrderBudget } from './budget.js';
import { Delivery } from './delivery.js';
import { Gates } from './gates.js';
import { type CaChoice, configuredCas } from './cas.js';
import { Jobs } from './jobs.js';
import { JobQueue } from './queue.js';
import { Deferrals, Records } from './records.js';
import { type ActionResult, installedPem, renewNow } from './actions.js';
import { applyDecision, type DecisionContext } from './apply.js';
import {
  eachCertificateStatus,
  metricRows,
  publishCertificateMetrics,
  publishProblemMetrics,
  reportHeldRemovals,
  type ReconcilerStatus,
  type StreamedReconcilerStatus,
} from './report.js';

export type { ActionResult } from './actions.js';
export type { CertificateStatus, ReconcilerStatus } from './report.js';
export type { ReconcilerOptions } from './options.js';
import type { ReconcilerOptions } from './options.js';

const MAX_SLEEP_MS = 3600_000;
/** Decisions that take something away: never made on a partial reading of certs/. */
const REMOVAL_KINDS = new Set<Decision['kind']>(['mark-unwanted', 'remove', 'hold-removal', 'forget']);
/** Re-reading an unreadable storage directory: 1 s doubling to a minute. */
const STORAGE_RETRY: BackoffPolicy = { baseMs: 1000, capMs: 60_000, factor: 2, jitter: 0.2 };
/** At most one resync request per this interval, whatever the plans say. */
const RESYNC_REQUEST_INTERVAL_MS = 10_000;

export class Reconciler {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly records: Records;
  private readonly deferrals = new Deferrals();
  private readonly budget: OrderBudget;
  private readonly queue: JobQueue;
  private readonly delivery: Delivery;
  private readonly jobs: Jobs;
  /** Orders wait on these when the CA or our storage fails them (not counted against certificates). */
  private readonly gates: Gates;
  private readonly cas: readonly CaChoice[];
  private readonly snapshots = new Map<string, { snapshot: Snapshot; at: number }>();
  private desired = new Map<string, CertSpec>();
  private problems: readonly Problem[] = [];
  private held: string[] = [];
  private releaseRequested = false;
  /** Plans may run (the names in certs/ are known); `adopted`: every bundle has been read. */
  private loaded = false;
  private adopted = false;
  private lastPlanAt: number | undefined;
  private lastResyncRequest = 0;
  private planTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private planning = false;
  private planAgain = false;
  private signal: AbortSignal = new AbortController().signal;
  private readonly decisionContext: DecisionContext;

  constructor(private readonly opts: ReconcilerOptions) {
    const log = opts.logger.child({ component: 'reconciler' });
    const now = opts.clock ?? Date.now;
    const signal = () => this.signal;
    this.log = log;
    this.now = now;
    this.random = opts.random ?? Math.random;
    this.records = new Records(opts.store, log);
    this.budget = new OrderBudget({ limit: opts.orderBudget, store: opts.store, log, now });
    const onOpen = () => this.trigger();
    const cas = configuredCas(opts);
    this.cas = cas;
    const issuers = cas.map((c) => c.issuer);
    this.gates = new Gates({ issuers, store: opts.store, log, now, random: this.random, signal, onOpen });
    this.queue = new JobQueue({
      maxConcurrent: opts.maxConcurrentOrders,
      budget: this.budget,
      run: (job) => this.jobs.run(job),
      onSettled: () => this.trigger(),
      log,
      canStart: (job) => this.gates.canStart(job),
    });
    this.delivery = new Delivery({
      notifier: opts.notifier,
      records: this.records,
      events: opts.events,
      now,
      ordersInFlight: (except) => this.queue.ordersInFlight(except),
      debounceMs: opts.notifyDebounceMs,
      maxDelayMs: opts.notifyMaxDelayMs,
    });
    const { events, removeAfterMs } = opts;
    this.decisionContext = { queue: this.queue, records: this.records, events, log, removeAfterMs };
    this.jobs = new Jobs({
      ...opts,
      cas,
      records: this.records,
      budget: this.budget,
      gates: { ca: (url) => this.gates.ca(url), storage: this.gates.byName.storage },
      deferrals: this.deferrals,
      changed: (kind, name) => this.delivery.queueChange(kind, name),
      log,
      now,
      random: this.random,
      signal,
    });
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
    this.gates.stop();
    await this.queue.settle();
    await this.delivery.stop();
  }

  /** A follower's view (HA): read the storage once, plan and write nothing; rejects if it cannot be read. */
  async readView(): Promise<void> {
    await this.records.load();
    this.adopted = true;
  }

  /** A source delivered a full snapshot. */
  setSnapshot(source: string, snapshot: Snapshot): void {
    this.snapshots.set(source, { snapshot, at: this.now() });
    this.opts.metrics?.lastSnapshotTimestamp.set({ source }, this.now() / 1000);
    const merged = mergeSnapshots(
      [...this.snapshots.values()].map((s) => s.snapshot),
      { maxNames: maxNamesPerCertificate(this.opts.profile) },
    );
    this.desired = new Map(merged.specs.map((s) => [s.name, s]));
    this.problems = merged.problems;
    if (this.opts.metrics) publishProblemMetrics(this.opts.metrics, this.problems);
    this.trigger();
  }

  /** Re-read the store (SIGHUP) and plan; paused names are tried again (sent after lifting a CA pause). */
  async refresh(): Promise<void> {
    await this.loadObserved();
    const paused = [...this.records.states.values()].filter((s) => s.paused);
    for (const s of paused) await this.records.save(clearPause(s));
    if (paused.length > 0) this.log.info({ domains: paused.map((s) => s.name) }, 'paused names tried again (SIGHUP)');
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

  /** Operator: renew `name` now (actions.ts: backoff ignored; a CA pause and the order budget still apply). */
  async renewNow(name: string): Promise<ActionResult> {
    const r = await renewNow(this.records, name, this.desired.get(name), this.now());
    this.trigger();
    return r;
  }
  /** The installed leaf of `name` (PEM), read from its bundle, for an operator's revocation (actions.ts). */
  installedPem(name: string): Promise<string | undefined> {
    return installedPem(this.records, this.opts.store, name);
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
    if (!this.opts.metrics) return;
    const rows = metricRows({
      desired: this.desired,
      records: this.records,
      held: this.held,
      removeAfterMs: this.opts.removeAfterMs,
      now: this.now(),
    });
    publishCertificateMetrics(this.opts.metrics, rows);
  }

  status(): ReconcilerStatus {
    const s = this.streamedStatus();
    return { ...s, certificates: [...s.certificates] };
  }

  /** `status()` with the certificates built one at a time as they are read (for /status of thousands). */
  streamedStatus(): StreamedReconcilerStatus {
    const ariSupported = this.jobs.ca().ariSupported;
    return {
      // Ready once certs/ is read AND every source has delivered a snapshot (Marathon read at least once).
      ready: this.adopted && this.opts.sources.every((s) => this.snapshots.has(s)),
      ...(this.lastPlanAt !== undefined ? { lastPlanAt: new Date(this.lastPlanAt) } : {}),
      certificates: eachCertificateStatus({
        desired: this.desired,
        records: this.records,
        held: this.held,
        job: (name) => {
          const job = this.queue.get(name);
          return job && this.gates.describe(job);
        },
        removeAfterMs: this.opts.removeAfterMs,
        now: this.now(),
      }),
      unmanaged: this.records.unmanaged,
      heldRemovals: [...this.held],
      problems: this.problems,
      queue: this.queue.counts(),
      gates: this.gates.status(),
      // Shown in /status: the key is absent while it is not known.
      ...(ariSupported !== undefined ? { ariSupported } : {}),
    };
  }

  /**
   * Read the storage (retried until it works). At start-up the names of the files in certs/ come
   * first: planning starts then for names without a file, while the bundles are parsed (thousands
   * take seconds); names still being read, and every removal, wait for the full reading.
   */
  private async loadObserved(): Promise<void> {
    await retryUntilAborted(
      async () => {
        if (!this.loaded && (await this.records.loadNames())) {
          await this.restoreBudgets();
          this.loaded = true;
          this.trigger();
        }
        await this.records.load();
        if (!this.loaded) await this.restoreBudgets();
        this.loaded = true;
        this.adopted = true;
        const { stored, unmanaged } = this.records;
        this.log.info({ certificates: stored.size, unmanaged: unmanaged.length }, 'storage loaded');
        this.trigger();
      },
      {
        policy: STORAGE_RETRY,
        signal: this.signal,
        random: this.random,
        onFailure: (err, _attempt, delay) =>
          this.log.error({ err, retry_in: Math.round(delay / 1000) }, 'cannot read storage'),
      },
    );
  }

  /** Each CA's recent new orders (1.0's single-CA record counts as the first CA's). */
  private async restoreBudgets(): Promise<void> {
    for (const [i, c] of this.cas.entries()) await this.budget.restore(c.issuer.directoryUrl, i === 0);
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
      const ca = this.jobs.ca();
      const p = plan({
        now: new Date(now),
        desired: this.desired,
        desiredAt: this.desiredAt(),
        stored: this.records.stored,
        states: this.records.states,
        policy: {
          removeAfterMs: this.opts.removeAfterMs,
          keyType: this.opts.keyType,
          maxRemovalFraction: this.opts.maxRemovalFraction,
          ca,
          cas: this.jobs.allCas(),
        },
        removalsReleased: released,
      });
      const wakeAt = await this.carryOut(p.decisions, now, ca.directoryUrl);
      this.lastPlanAt = now;
      this.scheduleWake(Math.min(wakeAt, p.wakeAt?.getTime() ?? Infinity));
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

  /** Carry out one plan's decisions; returns when to plan again for what they leave waiting. */
  private async carryOut(decisions: readonly Decision[], now: number, ca: string): Promise<number> {
    const held: string[] = [];
    const queuedNow = new Set<string>();
    let wakeAt = Infinity;
    const adopting = this.records.adopting;
    for (const d of decisions) {
      // While certs/ is still being read: nothing for names with a file, and nothing removed or forgotten.
      if (adopting.size > 0 && (adopting.has(d.name) || REMOVAL_KINDS.has(d.kind))) continue;
      if (d.kind === 'hold-removal') held.push(d.name);
      const retryAt = this.deferrals.until(d.kind, d.name);
      if (retryAt !== undefined && retryAt > now) {
        wakeAt = Math.min(wakeAt, retryAt);
        continue;
      }
      if (await applyDecision(this.decisionContext, d, now, ca)) queuedNow.add(d.name);
      // These change the state the plan was made from (e.g. a grace now has a deadline): plan again.
      if (d.kind === 'mark-unwanted' || d.kind === 'clear-unwanted' || d.kind === 'forget') this.planAgain = true;
    }
    this.queue.withdrawStale(queuedNow);
    await this.dropUnwantedKept();
    if (decisions.some((d) => d.kind === 'none' && d.needsSnapshot)) wakeAt = Math.min(wakeAt, this.requestResync(now));
    this.reportHeld(held, now);
    return Math.min(wakeAt, this.queue.dispatch());
  }

  /** A kept certificate nobody wants any more (after a complete snapshot) is let go. */
  private async dropUnwantedKept(): Promise<void> {
    if (this.desiredAt() === undefined) return;
    for (const name of [...this.records.kept.keys()]) if (!this.desired.has(name)) await this.records.dropKept(name);
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

  private scheduleWake(at: number): void {
    clearTimeout(this.wakeTimer);
    if (this.signal.aborted) return;
    const delay = Math.min(MAX_SLEEP_MS, Math.max(1000, at - this.now()));
    this.wakeTimer = setTimeout(() => this.trigger(), delay);
    this.wakeTimer.unref?.();
  }

  /** The mass-removal guard's held set: a `removal_held` event for each held name whenever the set changes. */
  private reportHeld(held: string[], now: number): void {
    const h = { held, previous: this.held, managed: this.records.stored.size, now };
    this.held = held;
    reportHeldRemovals(h, this.opts.events, this.opts.metrics);
  }
}
