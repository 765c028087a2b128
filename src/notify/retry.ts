/**
 * Background retries for notifiers: failed deliveries are retried with exponential backoff until they
 * succeed, a newer batch supersedes them (`supersede()`), or the notifier stops.
 *
 * Superseding is only safe when the newer delivery covers everything the cancelled retry would have
 * delivered: true for a marathon-lb signal (a reload re-reads every file), NOT for a delivery that
 * only carries the batch's names (the HAProxy runtime API, a notify command). Those notifiers keep the
 * undelivered names in `PendingNames` and deliver them with every newer batch.
 */
import type { Change } from '../domain/contracts.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { retry } from '../lib/retry.js';

const DEFAULT_RETRY: BackoffPolicy = { baseMs: 1000, capMs: 60_000, factor: 2, jitter: 0.5 };

/** A retry whose target did not answer yet (or the delivery that failed before the retries began). */
const NOT_YET = new Error('not delivered yet');

interface Entry {
  readonly label: string;
  readonly ctl: AbortController;
}

export class BackgroundRetries {
  private ctl = new AbortController();
  private stopped = false;
  private readonly entries = new Set<Entry>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly policy: BackoffPolicy = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  /** Cancel every pending retry (a newer batch is being delivered). A no-op after `stop()`. */
  supersede(): void {
    if (this.stopped) return;
    this.ctl.abort();
    this.ctl = new AbortController();
  }

  /**
   * Retry `attempt` (resolves true on success) after growing delays until it succeeds or is
   * superseded/stopped. Never rejects; errors thrown by `attempt` count as failures. A no-op after
   * `stop()` (no timer may keep a stopping process alive).
   */
  start(label: string, attempt: (signal: AbortSignal) => Promise<boolean>): void {
    if (this.stopped) return;
    const entry: Entry = { label, ctl: this.ctl };
    this.entries.add(entry);
    const run = this.loop(entry, attempt).finally(() => {
      this.entries.delete(entry);
      this.running.delete(run);
    });
    this.running.add(run);
  }

  /**
   * The one retry loop (`lib/retry.ts`) with the failed delivery as its attempt 1: retry number n
   * (attempt n + 1) waits `backoffDelay(policy, n)`, and `false` from `attempt` is a failure too.
   */
  private async loop(entry: Entry, attempt: (signal: AbortSignal) => Promise<boolean>): Promise<void> {
    const signal = entry.ctl.signal;
    await retry(
      async (n) => {
        if (n === 1 || !(await attempt(signal))) throw NOT_YET;
        this.log.info({ target: entry.label, attempt: n - 1 }, 'delivery succeeded on retry');
      },
      {
        policy: this.policy,
        signal,
        random: this.random,
        retryable: (err) => !isAbortError(err) && !signal.aborted,
        onFailure: (err, n) => {
          if (err !== NOT_YET) this.log.warn({ target: entry.label, attempt: n - 1, err }, 'delivery retry failed');
        },
      },
    ).catch(() => undefined); // aborted (superseded, stopped) or an abort error of `attempt`: the loop ends
  }

  /** Labels of targets still being retried. */
  pending(): string[] {
    return [...this.entries].filter((e) => !e.ctl.signal.aborted).map((e) => e.label);
  }

  /** Cancel everything and wait for the loops to end; later `start`/`supersede` calls do nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ctl.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Resolves when no retry loop is running (tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/**
 * Names written or removed but not yet delivered, for notifiers whose delivery carries names. The
 * latest event of a name wins (written then removed is a removal, and the reverse a write).
 */
export class PendingNames {
  private readonly names = new Map<string, { readonly kind: 'written' | 'removed'; readonly gen: number }>();
  private gen = 0;

  /** Record a batch (its writes before its removals, as the store applied them). */
  add(change: Change): void {
    for (const n of change.written) this.set(n, 'written');
    for (const n of change.removed) this.set(n, 'removed');
  }

  private set(name: string, kind: 'written' | 'removed'): void {
    this.names.delete(name); // re-insert: keeps the order of the latest events
    this.gen += 1;
    this.names.set(name, { kind, gen: this.gen });
  }

  /**
   * Everything pending, as one change, and `delivered(failed)` to call once it was delivered: it
   * forgets the names of this snapshot except `failed`, unless a newer event arrived for them meanwhile.
   */
  take(): { readonly change: Change; delivered(failed?: Iterable<string>): void } {
    const seen = new Map(this.names);
    const written: string[] = [];
    const removed: string[] = [];
    for (const [n, e] of seen) (e.kind === 'written' ? written : removed).push(n);
    return {
      change: { written, removed },
      delivered: (failed = []) => {
        const keep = new Set(failed);
        for (const [n, e] of seen) if (!keep.has(n) && this.names.get(n)?.gen === e.gen) this.names.delete(n);
      },
    };
  }

  get size(): number {
    return this.names.size;
  }
}
