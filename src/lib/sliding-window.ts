/**
 * A count of events in a sliding time window (e.g. new ACME orders per 3 hours). Clock passed in.
 * Used to spread a flood of work out under a CA's rate limit instead of having it refused.
 */
export class SlidingWindow {
  private readonly events: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Events still inside the window at `now`. */
  used(now: number): number {
    this.prune(now);
    return this.events.length;
  }

  /** True when one more event fits at `now`. */
  available(now: number): boolean {
    return this.used(now) < this.limit;
  }

  /** The events still inside the window (to persist them). */
  times(now: number): readonly number[] {
    this.prune(now);
    return [...this.events];
  }

  /** Add events recorded earlier (e.g. before a restart), in any order. */
  restore(times: readonly number[]): void {
    this.events.push(...times);
    this.events.sort((a, b) => a - b);
  }

  /** Record one event at `now`. */
  record(now: number): void {
    this.events.push(now);
  }

  /** When the next event will fit (now if it fits already). */
  nextFreeAt(now: number): number {
    this.prune(now);
    if (this.limit <= 0) return Infinity;
    if (this.events.length < this.limit) return now;
    return this.events[this.events.length - this.limit]! + this.windowMs;
  }

  private prune(now: number): void {
    while (this.events.length > 0 && this.events[0]! <= now - this.windowMs) this.events.shift();
  }
}
