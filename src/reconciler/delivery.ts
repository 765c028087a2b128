/**
 * Delivery of changes to the load balancers, in batches: written and removed names are collected and
 * sent as one notification `debounceMs` (1 s) after the FIRST change of the batch — whatever is still
 * in flight then goes in a later batch, so the first of 100 new certificates is served about a second
 * after it was written, not when the last one is — and almost at once when nothing else is in flight.
 *
 * Contract: `queueChange` never waits and never throws; each batch is sent once (the notifiers retry
 * failed targets in the background); every batch ends in one `delivered` event per name, and its
 * result is recorded in the certificates' records (`recordDelivery`). `stop()` sends what is pending.
 */
import type { Notifier } from '../domain/contracts.js';
import type { EventSink } from '../domain/events.js';
import type { CertState } from '../domain/types.js';
import { describeError } from '../lib/errors.js';

/** Flush delay when no other order could join the batch. */
const IDLE_FLUSH_MS = 20;

/** What the delivery needs of the records: read the states, save one. */
export interface DeliveryRecords {
  readonly states: ReadonlyMap<string, CertState>;
  save(state: CertState): Promise<void>;
}

export interface DeliveryOptions {
  readonly notifier: Notifier;
  readonly records: DeliveryRecords;
  readonly events: EventSink;
  readonly now: () => number;
  /** Whether orders other than `except`'s are running or queued (they would join the batch). */
  readonly ordersInFlight: (except?: string) => boolean;
  /** Batch window, from the batch's first change (default 1 s). */
  readonly debounceMs?: number;
  /** Longest a change waits for its batch (default and at most: `debounceMs`). */
  readonly maxDelayMs?: number;
}

export type ChangeKind = 'written' | 'removed';

export class Delivery {
  private readonly pending = { written: new Set<string>(), removed: new Set<string>(), since: 0 };
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;

  constructor(private readonly opts: DeliveryOptions) {}

  queueChange(kind: ChangeKind, name: string): void {
    const now = this.opts.now();
    if (this.pending.written.size + this.pending.removed.size === 0) this.pending.since = now;
    this.pending[kind].add(name);
    // Nothing else in flight means nothing to batch with: tell the load balancers almost at once.
    // Otherwise the batch closes one window after its first change; later changes never delay it.
    const window = Math.min(this.opts.debounceMs ?? 1000, this.opts.maxDelayMs ?? Infinity);
    const due = this.opts.ordersInFlight(name) ? this.pending.since + window : now + IDLE_FLUSH_MS;
    if (due < this.dueAt) this.schedule(due - now);
  }

  /** Shutdown: what is collected goes now (written certificates are always announced). */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.dueAt = Infinity;
    if (this.pending.written.size + this.pending.removed.size > 0) await this.flush();
  }

  /** One notification for everything collected so far. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.dueAt = Infinity;
    const change = { written: [...this.pending.written], removed: [...this.pending.removed] };
    this.pending.written.clear();
    this.pending.removed.clear();
    if (change.written.length + change.removed.length === 0) return;
    const result = await this.opts.notifier
      .notify(change, new AbortController().signal)
      .catch((err: unknown) => ({ ok: false, detail: describeError(err).message }));
    const at = new Date(this.opts.now()).toISOString();
    for (const name of new Set([...change.written, ...change.removed]))
      this.opts.events.emit({
        type: 'delivered',
        name,
        at,
        targets: this.opts.notifier.name,
        ok: result.ok,
        detail: result.detail,
        ...change,
      });
    await this.recordDelivery(change.written, result.ok);
  }

  /**
   * Delivery is part of a certificate's record: a failed one marks the written certificates pending
   * (shown in /status); a later successful one clears every pending mark, because a reload loads
   * every file. The notifiers themselves retry failed targets in the background.
   */
  private async recordDelivery(written: readonly string[], ok: boolean): Promise<void> {
    const { records } = this.opts;
    const names = ok ? [...records.states.values()].filter((s) => s.deliveryPending).map((s) => s.name) : written;
    for (const name of names) {
      const state = records.states.get(name);
      if (!state || (state.deliveryPending ?? false) === !ok) continue;
      const { deliveryPending: _d, ...rest } = state;
      await records.save(ok ? rest : { ...rest, deliveryPending: true });
    }
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.dueAt = this.opts.now() + Math.max(0, delay);
    this.timer = setTimeout(() => void this.flush(), Math.max(0, delay));
  }
}
