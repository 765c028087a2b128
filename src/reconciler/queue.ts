/**
 * The keyed job queue: at most one job per certificate, a concurrency cap, the most urgent first
 * (lowest `priority`: removals and installs of kept certificates, then ARI checks, then renewals by
 * expiry, then new names), and new orders only within their CA's budget. New orders of equal priority
 * are shared fairly between their requesters (apps): round-robin, the requester served least recently
 * first, so one app with many names cannot make another wait for the budget.
 *
 * Contract: `enqueue` replaces a queued job of the same name and never touches a running one;
 * `dispatch` starts what the cap, `canStart` (the gates) and the budget allow, holds a budget place
 * for each new order it starts (`job.reservation`: the runner commits or releases it), and returns when
 * to look again if the budget holds some back (Infinity if not); a started job leaves the queue when it
 * settles, and `onSettled` is called then. Running jobs are never withdrawn.
 */
import type { Work } from '../domain/plan.js';
import type { CertSpec } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';
import type { OrderGate, Reservation } from './budget.js';

/** `install`: write a certificate the CA issued earlier whose write failed (never ordered again). */
export type JobKind = Work | 'check-ari' | 'remove' | 'install';

export interface Job {
  readonly name: string;
  kind: JobKind;
  spec?: CertSpec;
  reason: string;
  priority: number;
  ariRenewal: boolean;
  /** ACME directory URL of the CA an order goes to (whose budget it spends). */
  ca: string;
  running: boolean;
  /** The budget place held for a new order while it runs. */
  reservation?: Reservation;
}

/** Who a job is for, for the fair share of the budget: the first requester's app (or the source). */
export function requesterOf(job: Pick<Job, 'spec'>): string {
  const r = job.spec?.requestedBy[0];
  return r ? `${r.source}:${r.appId ?? ''}` : '';
}

export interface JobQueueOptions {
  readonly maxConcurrent: number;
  readonly budget: OrderGate;
  /** Runs one job; must not reject (failures are the runner's to record). */
  readonly run: (job: Job) => Promise<void>;
  readonly onSettled: () => void;
  readonly log: Logger;
  /** Whether a job may start now (a closed gate holds it; it stays queued). Default: always. */
  readonly canStart?: (job: Job) => boolean;
}

export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  /** When each requester last had a new order started (a counter), for the round-robin. */
  private readonly lastServed = new Map<string, number>();
  private served = 0;

  constructor(private readonly opts: JobQueueOptions) {}

  get(name: string): Job | undefined {
    return this.jobs.get(name);
  }

  counts(): { running: number; queued: number } {
    const running = [...this.jobs.values()].filter((j) => j.running).length;
    return { running, queued: this.jobs.size - running };
  }

  enqueue(job: Omit<Job, 'running'>): void {
    const existing = this.jobs.get(job.name);
    if (existing?.running) return;
    this.jobs.set(
      job.name,
      existing ? Object.assign(existing, { ...job, running: false }) : { ...job, running: false },
    );
  }

  /**
   * A queued job the latest plan no longer asks for is withdrawn: an app deleted while its order waited
   * for the budget gets no certificate, and renewals of unwanted names stop at once. Running jobs finish.
   */
  withdrawStale(wanted: ReadonlySet<string>): void {
    for (const [name, job] of this.jobs) {
      if (job.running || wanted.has(name)) continue;
      this.jobs.delete(name);
      // An order that will not be placed is worth an info line; a withdrawn check (5,000 ARI checks when
      // the CA turns out to offer no ARI) is not.
      const level = job.kind === 'issue' || job.kind === 'renew' ? 'info' : 'debug';
      this.opts.log[level]({ domain: name, job: job.kind }, 'queued job withdrawn: no longer needed');
    }
  }

  /** Orders (and installs) running or queued, other than `except`'s own (theirs would join the batch). */
  ordersInFlight(except?: string): boolean {
    for (const j of this.jobs.values())
      if ((j.kind === 'issue' || j.kind === 'renew' || j.kind === 'install') && j.name !== except) return true;
    return false;
  }

  /** Start queued jobs up to the cap; returns when to look again if the order budget holds some back. */
  dispatch(): number {
    const { budget } = this.opts;
    let wakeAt = Infinity;
    const queued = this.fairOrder([...this.jobs.values()].filter((j) => !j.running));
    let running = this.jobs.size - queued.length;
    let budgetChecked = false;
    for (const job of queued) {
      if (running >= this.opts.maxConcurrent) break;
      if (this.opts.canStart && !this.opts.canStart(job)) continue;
      if (job.kind === 'issue' && budget.enabled) {
        budgetChecked = true;
        const reservation = budget.reserve(job.ca);
        if (!reservation) {
          wakeAt = Math.min(wakeAt, budget.nextFreeAt(job.ca));
          continue;
        }
        job.reservation = reservation;
      }
      if (job.kind === 'issue') this.lastServed.set(requesterOf(job), ++this.served);
      running++;
      this.start(job);
    }
    if (budgetChecked) budget.report(wakeAt !== Infinity, queued.length, wakeAt);
    return wakeAt;
  }

  /**
   * Most urgent first; within each run of new orders of equal priority, round-robin between their
   * requesters: one of each in turn, the requester served least recently first (then by name).
   */
  private fairOrder(jobs: Job[]): Job[] {
    jobs.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
    const out: Job[] = [];
    for (let i = 0; i < jobs.length; ) {
      const first = jobs[i]!;
      let j = i + 1;
      while (
        j < jobs.length &&
        first.kind === 'issue' &&
        jobs[j]!.kind === 'issue' &&
        jobs[j]!.priority === first.priority
      )
        j++;
      out.push(...(j - i > 1 ? this.roundRobin(jobs.slice(i, j)) : [first]));
      i = j;
    }
    return out;
  }

  private roundRobin(jobs: readonly Job[]): Job[] {
    const groups = new Map<string, Job[]>();
    for (const job of jobs) {
      const key = requesterOf(job);
      const g = groups.get(key);
      if (g) g.push(job);
      else groups.set(key, [job]);
    }
    const order = [...groups.keys()].sort(
      (a, b) => (this.lastServed.get(a) ?? 0) - (this.lastServed.get(b) ?? 0) || a.localeCompare(b),
    );
    const out: Job[] = [];
    for (let round = 0; out.length < jobs.length; round++)
      for (const key of order) {
        const job = groups.get(key)![round];
        if (job) out.push(job);
      }
    return out;
  }

  /** Resolves when every running job has settled. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private start(job: Job): void {
    job.running = true;
    const p = this.opts.run(job).finally(() => {
      this.running.delete(p);
      if (this.jobs.get(job.name) === job) this.jobs.delete(job.name);
      this.opts.onSettled();
    });
    this.running.add(p);
  }
}
