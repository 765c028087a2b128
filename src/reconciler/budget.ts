/**
 * The new-order budget, per CA: at most `limit` new orders per 3 hours to each CA (renewals are exempt,
 * as Let's Encrypt exempts them), so a flood of new names is spread out instead of being refused.
 *
 * Contract: a new order takes its place in three steps. `reserve(ca)` (at dispatch, in memory) holds a
 * place or says the budget is spent; `commit` (awaited right before newOrder is sent) writes the charge
 * to `account-state.json` durably (fsync'd, atomic) and rejects when it cannot — then nothing is sent;
 * `release` gives the place back when the CA never accepted the order (refused, or no answer), and
 * removes the written charge. So only orders the CA accepted stay charged, and a kill at any moment
 * loses no charge (at worst one refused order stays counted). Writes are serialised: each one holds
 * every charge made before it. `restore(ca)` reads the charges back once at start-up, so a crash-looping
 * daemon does not reset its own rate limit. The 1.0 shape `{newOrders}` is read as the budget of the CA
 * `restore` is called with; the per-CA shape is written (see `AccountState`), keeping the entries of
 * other CAs as read. `report` logs when the budget runs out and when it is back.
 */
import type { Store } from '../domain/contracts.js';
import type { AccountState } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';

const WINDOW_MS = 3 * 3600_000;

export interface OrderBudgetOptions {
  /** New orders per 3 hours and CA; 0 = no budget. */
  readonly limit: number;
  readonly store: Pick<Store, 'readAccountState' | 'writeAccountState'>;
  readonly log: Logger;
  readonly now: () => number;
}

/** One new order's place in a CA's budget. */
export interface Reservation {
  readonly ca: string;
  readonly at: number;
}

/** What the job queue needs of the budget. */
export interface OrderGate {
  /** False when there is no budget at all (every order may go). */
  readonly enabled: boolean;
  /** Hold one new order's place in `ca`'s budget now; undefined (nothing held) when it is spent. */
  reserve(ca: string): Reservation | undefined;
  /** When `ca`'s budget has room again. */
  nextFreeAt(ca: string): number;
  /** After a dispatch that checked the budget: `blocked` when some order waits for it (until `nextAt`). */
  report(blocked: boolean, queued: number, nextAt: number): void;
}

interface Entry extends Reservation {
  committed: boolean;
}

export class OrderBudget implements OrderGate {
  /** Places held or charged, per CA, oldest first. */
  private readonly entries = new Map<string, Entry[]>();
  /** The record as last read or written: the entries of other CAs are written back unchanged. */
  private account: AccountState | null = null;
  private blocked = false;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly opts: OrderBudgetOptions) {}

  get enabled(): boolean {
    return this.opts.limit > 0;
  }

  reserve(ca: string): Reservation | undefined {
    const now = this.opts.now();
    const list = this.current(ca, now);
    if (list.length >= this.opts.limit) return undefined;
    const entry: Entry = { ca, at: now, committed: false };
    list.push(entry);
    return entry;
  }

  /** Write the charge durably before the order is sent (idempotent). Rejects when it cannot be written. */
  async commit(r: Reservation): Promise<void> {
    const entry = r as Entry;
    if (entry.committed) return;
    entry.committed = true;
    try {
      await this.persist();
    } catch (err) {
      entry.committed = false;
      throw err;
    }
  }

  /** The CA never accepted the order: give its place back (and remove its written charge). Never rejects. */
  async release(r: Reservation): Promise<void> {
    const entry = r as Entry;
    const list = this.entries.get(r.ca) ?? [];
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (!entry.committed) return;
    entry.committed = false;
    await this.persist().catch((err: unknown) => this.opts.log.warn({ err }, 'cannot write account state'));
  }

  nextFreeAt(ca: string): number {
    const now = this.opts.now();
    const list = this.current(ca, now);
    if (this.opts.limit <= 0) return Infinity;
    if (list.length < this.opts.limit) return now;
    return list[list.length - this.opts.limit]!.at + WINDOW_MS;
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

  /**
   * Read `ca`'s recent orders back from the account state; its 1.0 shape counts as `ca`'s unless
   * `legacy` is false (a further CA of `--acme`: 1.0 knew one CA only, the first).
   */
  async restore(ca: string, legacy = true): Promise<void> {
    this.account = await this.opts.store.readAccountState();
    const recorded = this.account?.cas?.[ca]?.newOrders ?? (legacy ? this.account?.newOrders : undefined) ?? [];
    const since = this.opts.now() - WINDOW_MS;
    const times = recorded.map((t) => Date.parse(t)).filter((t) => t > since);
    const list = this.current(ca, this.opts.now());
    list.push(...times.map((at) => ({ ca, at, committed: true })));
    list.sort((a, b) => a.at - b.at);
    if (times.length > 0)
      this.opts.log.info({ recent_orders: times.length, budget: this.opts.limit }, 'order budget restored');
  }

  /** `ca`'s places inside the window at `now` (older ones dropped), oldest first. */
  private current(ca: string, now: number): Entry[] {
    let list = this.entries.get(ca);
    if (!list) {
      list = [];
      this.entries.set(ca, list);
    }
    while (list.length > 0 && list[0]!.at <= now - WINDOW_MS) list.shift();
    return list;
  }

  /** Queue one write of every CA's charges as they are when it runs; resolves when it is on disk. */
  private persist(): Promise<void> {
    const write = this.writes.then(() => this.write());
    this.writes = write.catch(() => undefined);
    return write;
  }

  private async write(): Promise<void> {
    const now = this.opts.now();
    const cas = { ...(this.account?.cas ?? {}) };
    for (const ca of this.entries.keys()) {
      const newOrders = this.current(ca, now)
        .filter((e) => e.committed)
        .map((e) => new Date(e.at).toISOString());
      cas[ca] = { ...cas[ca], newOrders };
    }
    const account: AccountState = { cas };
    await this.opts.store.writeAccountState(account);
    this.account = account;
  }
}
