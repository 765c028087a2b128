/**
 * Background retries for notifiers: failed deliveries are retried with exponential backoff until they
 * succeed, a newer batch supersedes them (`supersede()`), or the notifier stops. The newer batch
 * reaches every target anyway, so retrying an older one would only cause an extra reload.
 */
import { sleep } from '../lib/abort.js';
import { backoffDelay, type BackoffPolicy } from '../lib/backoff.js';
import { isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export const DEFAULT_RETRY: BackoffPolicy = { baseMs: 1000, capMs: 60_000, factor: 2, jitter: 0.5 };

interface Entry {
  readonly label: string;
  readonly ctl: AbortController;
}

export class BackgroundRetries {
  private ctl = new AbortController();
  private readonly entries = new Set<Entry>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly policy: BackoffPolicy = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  /** Cancel every pending retry (a newer batch is being delivered). */
  supersede(): void {
    this.ctl.abort();
    this.ctl = new AbortController();
  }

  /**
   * Retry `attempt` (resolves true on success) after growing delays until it succeeds or is
   * superseded/stopped. Never rejects; errors thrown by `attempt` count as failures.
   */
  start(label: string, attempt: (signal: AbortSignal) => Promise<boolean>): void {
    const entry: Entry = { label, ctl: this.ctl };
    this.entries.add(entry);
    const run = this.loop(entry, attempt).finally(() => {
      this.entries.delete(entry);
      this.running.delete(run);
    });
    this.running.add(run);
  }

  private async loop(entry: Entry, attempt: (signal: AbortSignal) => Promise<boolean>): Promise<void> {
    const signal = entry.ctl.signal;
    for (let n = 1; !signal.aborted; n += 1) {
      const wait = backoffDelay(this.policy, n, this.random());
      try {
        await sleep(wait, signal);
        if (await attempt(signal)) {
          this.log.info({ target: entry.label, attempt: n }, 'delivery succeeded on retry');
          return;
        }
      } catch (err) {
        if (isAbortError(err) || signal.aborted) return;
        this.log.warn({ target: entry.label, attempt: n, err }, 'delivery retry failed');
      }
    }
  }

  /** Labels of targets still being retried. */
  pending(): string[] {
    return [...this.entries].filter((e) => !e.ctl.signal.aborted).map((e) => e.label);
  }

  /** Cancel everything and wait for the loops to end. */
  async stop(): Promise<void> {
    this.ctl.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Resolves when no retry loop is running (tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
