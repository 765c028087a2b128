/**
 * Delivery of changes to the load balancers, in batches: written and removed names are collected and
 * sent as one notification when no order is in flight any more (or after `maxDelayMs` at most); when
 * nothing else is in flight, almost at once.
 *
 * Contract: `queueChange` never waits and never throws; each batch is sent once (the notifiers retry
 * failed targets in the background); every batch ends in one `delivered` event per name, and its
 * result is recorded in the certificates' records (`recordDelivery`). `stop()` cancels a pending flush.
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
  /** Aborted at shutdown: the batch then goes at once. */
  readonly signal: () => AbortSignal;
  /** Batch window (default 1 s). */
  readonly debounceMs?: number;
  /** Longest a change waits for its batch (default 30 s). */
  readonly maxDelayMs?: number;
}

export type ChangeKind = 'written' | 'removed';

export class Delivery {
  private readonly pending = { written: new Set<string>(), removed: new Set<string>(), since: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: DeliveryOptions) {}

  queueChange(kind: ChangeKind, name: string): void {
    if (this.pending.written.size + this.pending.removed.size === 0) this.pending.since = this.opts.now();
    this.pending[kind].add(name);
    // Nothing else in flight means nothing to batch with: tell the load balancers almost at once.
    this.schedule(this.opts.ordersInFlight(name) ? (this.opts.debounceMs ?? 1000) : IDLE_FLUSH_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** One notification per batch: waits while orders still run (up to maxDelayMs). */
  async flush(): Promise<void> {
    if (
      this.opts.ordersInFlight() &&
      this.opts.now() - this.pending.since < (this.opts.maxDelayMs ?? 30_000) &&
      !this.opts.signal().aborted
    ) {
      this.schedule(this.opts.debounceMs ?? 1000);
      return;
    }
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
    this.timer = setTimeout(() => void this.flush(), delay);
  }
}
