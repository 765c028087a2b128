/**
 * The new-order budget, per CA: at most `limit` new orders per 3 hours to each CA (renewals are exempt,
 * as Let's Encrypt exempts them), so a flood of new names is spread out instead of being refused.
 *
 * Contract: `take(ca)` records an order and persists the window in `account-state.json` (fire and
 * forget: a failed write is logged); `restore(ca)` reads it back once at start-up, so a crash-looping
 * daemon does not reset its own rate limit. The 1.0 shape `{newOrders}` is read as the budget of the CA
 * `restore` is called with (the configured one); the per-CA shape is written (see `AccountState`),
 * keeping the entries of other CAs as read. `report` logs when the budget runs out and when it is back.
 */
import type { Store } from '../domain/contracts.js';
import type { AccountState } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';
import { SlidingWindow } from '../lib/sliding-window.js';

const WINDOW_MS = 3 * 3600_000;

export interface OrderBudgetOptions {
  /** New orders per 3 hours and CA; 0 = no budget. */
  readonly limit: number;
  readonly store: Pick<Store, 'readAccountState' | 'writeAccountState'>;
  readonly log: Logger;
  readonly now: () => number;
}

/** What the job queue needs of the budget. */
export interface OrderGate {
  /** False when there is no budget at all (every order may go). */
  readonly enabled: boolean;
  /** Take one new order's worth of `ca`'s budget now: false (nothing taken) when it is spent. */
  take(ca: string): boolean;
  /** When `ca`'s budget has room again. */
  nextFreeAt(ca: string): number;
  /** After a dispatch that checked the budget: `blocked` when some order waits for it (until `nextAt`). */
  report(blocked: boolean, queued: number, nextAt: number): void;
}

export class OrderBudget implements OrderGate {
  private readonly windows = new Map<string, SlidingWindow>();
  /** The record as last read or written: the entries of other CAs are written back unchanged. */
  private account: AccountState | null = null;
  private blocked = false;

  constructor(private readonly opts: OrderBudgetOptions) {}

  get enabled(): boolean {
    return this.opts.limit > 0;
  }

  take(ca: string): boolean {
    const now = this.opts.now();
    const window = this.window(ca);
    if (!window.available(now)) return false;
    window.record(now);
    void this.persist(ca, now);
    return true;
  }

  nextFreeAt(ca: string): number {
    return this.window(ca).nextFreeAt(this.opts.now());
  }

  report(blocked: boolean, queued: number, nextAt: number): void {
    if (blocked && !this.blocked)
      this.opts.log.warn(
        { queued, budget: this.opts.limit, next_order_at: new Date(nextAt).toISOString() },
        'order budget exhausted, new orders wait',
      );
    if (!blocked && this.blocked) this.opts.log.info({}, 'order budget available again');
    this.blocked = blocked;
  }

  /** Read `ca`'s recent orders back from the account state (its 1.0 shape counts as `ca`'s). */
  async restore(ca: string): Promise<void> {
    this.account = await this.opts.store.readAccountState();
    const recorded = this.account?.cas?.[ca]?.newOrders ?? this.account?.newOrders ?? [];
    const since = this.opts.now() - WINDOW_MS;
    const times = recorded.map((t) => Date.parse(t)).filter((t) => t > since);
    this.window(ca).restore(times);
    if (times.length > 0)
      this.opts.log.info({ recent_orders: times.length, budget: this.opts.limit }, 'order budget restored');
  }

  private window(ca: string): SlidingWindow {
    let w = this.windows.get(ca);
    if (!w) {
      w = new SlidingWindow(this.opts.limit, WINDOW_MS);
      this.windows.set(ca, w);
    }
    return w;
  }

  private async persist(ca: string, now: number): Promise<void> {
    const newOrders = this.window(ca)
      .times(now)
      .map((t) => new Date(t).toISOString());
    const cas = this.account?.cas ?? {};
    const account: AccountState = { cas: { ...cas, [ca]: { ...cas[ca], newOrders } } };
    this.account = account;
    await this.opts.store
      .writeAccountState(account)
      .catch((err: unknown) => this.opts.log.warn({ err }, 'cannot write account state'));
  }
}
