/**
 * A count of events in a sliding time window (e.g. new ACME orders per 3 hours). Clock passed in.
 * Used to spread a flood of work out under a CA's rate limit instead of having it refused.
 */
export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Events still inside the window at `now`. */
  used(now: number): number {
    this.prune(now);
    return this.times.length;
  }

  /** True when one more event fits at `now`. */
  available(now: number): boolean {
    return this.used(now) < this.limit;
  }

  /** Record one event at `now`. */
  record(now: number): void {
    this.times.push(now);
  }

  /** When the next event will fit (now if it fits already). */
  nextFreeAt(now: number): number {
    this.prune(now);
    if (this.limit <= 0) return Infinity;
    if (this.times.length < this.limit) return now;
    return this.times[this.times.length - this.limit]! + this.windowMs;
  }

  private prune(now: number): void {
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
  }
}
