/**
 * When the Marathon source re-lists `/v2/apps`: requests (connects, events, the periodic resync,
 * `resync()`) are coalesced into one re-list at a time, and a failed re-list is retried with backoff
 * (`retryUntilAborted`, the daemon's one retry loop).
 *
 * Contract:
 * - at most one re-list runs at a time; a request while one runs (or while a failed one waits for its
 *   retry) marks the state dirty, and a dirty state re-lists `debounceMs` after the re-list ends;
 * - a re-list starts `delayMs` after its request at the earliest, and never sooner than
 *   `minSyncIntervalMs` after the previous start (a storm of 1000 events gives at most 2 re-lists);
 *   with `delayMs` 0 (the source's events) a request after quiet starts a re-list at once — a
 *   leading-edge debounce: the first event of a burst is served without delay, the rest coalesce;
 * - after a failed re-list nothing re-lists before the backoff delay has passed, whatever asks: events,
 *   reconnects and `resync()` only mark the state dirty meanwhile (a failing Marathon, e.g. 503 when
 *   overloaded, is retried at the backoff pace);
 * - every `resyncIntervalMs` after the last re-list ended (or failed), a re-list is requested (0 disables).
 */
import { sleep } from '../../lib/abort.js';
import type { BackoffPolicy } from '../../lib/backoff.js';
import { retryUntilAborted } from '../../lib/retry.js';

export interface SyncSchedulerOptions {
  readonly debounceMs: number;
  readonly minSyncIntervalMs: number;
  /** 0 disables the periodic resync. */
  readonly resyncIntervalMs: number;
  /** Delays between the attempts of a failing re-list. */
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  /**
   * One re-list. Resolves once its snapshot is delivered; rejects when the reading failed (the failure
   * is reported by `relist` itself) and is then retried. `attempt` counts consecutive failures + 1;
   * `reason` is the request's, or `retry` for a retry.
   */
  relist(reason: string, attempt: number, signal: AbortSignal): Promise<void>;
}

export class SyncScheduler {
  private signal: AbortSignal | undefined;
  private stopper: AbortController | undefined;
  private dirty = false;
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private lastStart = -Infinity;
  private resyncTimer: NodeJS.Timeout | undefined;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly o: SyncSchedulerOptions) {}

  /** Accept requests until `signal` fires or `stop()`; arms the periodic resync. */
  start(signal: AbortSignal): void {
    this.stopper = new AbortController();
    this.signal = AbortSignal.any([signal, this.stopper.signal]);
    this.dirty = false;
    this.armResync();
  }

  /** Stop: no further re-list starts; a running one is aborted and awaited. Never rejects. */
  async stop(): Promise<void> {
    this.stopper?.abort();
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    this.timer = undefined;
    this.resyncTimer = undefined;
    await this.done.catch(() => undefined);
  }

  /** Ask for a re-list `delayMs` from now (within the limits above). Ignored while stopped. */
  request(reason: string, delayMs: number): void {
    if (this.signal === undefined || this.signal.aborted) return;
    this.dirty = true;
    if (this.syncing) return; // the running re-list reschedules when it ends
    this.schedule(delayMs, reason);
  }

  private schedule(delayMs: number, reason: string): void {
    const now = Date.now();
    const at = Math.max(now + delayMs, this.lastStart + this.o.minSyncIntervalMs);
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return; // an earlier run is already planned
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.done = this.run(reason);
      },
      Math.max(0, at - now),
    );
  }

  /** One re-list and its retries; requests meanwhile only mark the state dirty. Never rejects. */
  private async run(reason: string): Promise<void> {
    const signal = this.signal;
    if (signal === undefined || signal.aborted) return;
    this.syncing = true;
    try {
      await retryUntilAborted(
        (attempt) => {
          this.dirty = false;
          this.lastStart = Date.now();
          return this.o.relist(attempt === 1 ? reason : 'retry', attempt, signal);
        },
        {
          policy: this.o.backoff,
          signal,
          random: this.o.random,
          onFailure: () => this.armResync(),
          // A retry, too, never starts sooner than the minimum interval after the previous start.
          sleep: (ms, s) => sleep(Math.max(ms, this.lastStart + this.o.minSyncIntervalMs - Date.now()), s),
        },
      );
    } catch {
      // An abort error while our signal has not fired: nothing to retry; later requests still run.
    } finally {
      this.syncing = false;
    }
    if (signal.aborted) return;
    if (this.dirty) this.schedule(this.o.debounceMs, 'coalesced');
    this.armResync();
  }

  private armResync(): void {
    clearTimeout(this.resyncTimer);
    if (this.o.resyncIntervalMs <= 0) return;
    this.resyncTimer = setTimeout(() => this.request('periodic', 0), this.o.resyncIntervalMs);
  }
}
