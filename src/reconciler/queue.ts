/**
 * The keyed job queue: at most one job per certificate, a concurrency cap, the most urgent first
 * (lowest `priority`: removals, then ARI checks, then renewals by expiry, then new names), and new
 * orders only within their CA's budget.
 *
 * Contract: `enqueue` replaces a queued job of the same name and never touches a running one;
 * `dispatch` starts what the cap and the budget allow and returns when to look again if the budget
 * holds some back (Infinity if not); a started job leaves the queue when it settles, and `onSettled`
 * is called then. Running jobs are never withdrawn.
 */
import type { Work } from '../domain/plan.js';
import type { CertSpec } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';
import type { OrderGate } from './budget.js';

export type JobKind = Work | 'check-ari' | 'remove';

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
}

export interface JobQueueOptions {
  readonly maxConcurrent: number;
  readonly budget: OrderGate;
  /** Runs one job; must not reject (failures are the runner's to record). */
  readonly run: (job: Job) => Promise<void>;
  readonly onSettled: () => void;
  readonly log: Logger;
}

export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();

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
      this.opts.log.info({ domain: name, job: job.kind }, 'queued job withdrawn: no longer needed');
    }
  }

  /** Orders running or queued, other than `except`'s own (theirs would join the batch). */
  ordersInFlight(except?: string): boolean {
    for (const j of this.jobs.values())
      if ((j.kind === 'issue' || j.kind === 'renew') && j.name !== except) return true;
    return false;
  }

  /** Start queued jobs up to the cap; returns when to look again if the order budget holds some back. */
  dispatch(): number {
    const { budget } = this.opts;
    let wakeAt = Infinity;
    const queued = [...this.jobs.values()]
      .filter((j) => !j.running)
      .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
    let running = this.jobs.size - queued.length;
    let budgetChecked = false;
    for (const job of queued) {
      if (running >= this.opts.maxConcurrent) break;
      if (job.kind === 'issue' && budget.enabled) {
        budgetChecked = true;
        if (!budget.take(job.ca)) {
          wakeAt = Math.min(wakeAt, budget.nextFreeAt(job.ca));
          continue;
        }
      }
      running++;
      this.start(job);
    }
    if (budgetChecked) budget.report(wakeAt !== Infinity, queued.length, wakeAt);
    return wakeAt;
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
