/**
 * Anti-replay nonces (RFC 8555 §6.5). Every `Replay-Nonce` header the CA sends is kept; each nonce is
 * handed out exactly once (taking removes it), so a used nonce is never sent again — not even on the
 * `badNonce` retry, which uses the fresh nonce carried by the error response itself (§6.5).
 */
export class NoncePool {
  private readonly nonces: string[] = [];

  /** `max` bounds memory: the oldest nonces are dropped first (they are the likeliest to be stale). */
  constructor(private readonly max = 64) {}

  /** Remember a nonce from a `Replay-Nonce` header (ignored if absent or malformed, §6.5.1: base64url). */
  add(nonce: string | undefined): void {
    if (!nonce || !/^[A-Za-z0-9_-]+$/.test(nonce)) return;
    this.nonces.push(nonce);
    if (this.nonces.length > this.max) this.nonces.shift();
  }

  /** Take the newest nonce (removed from the pool), or undefined when empty (then fetch newNonce). */
  take(): string | undefined {
    return this.nonces.pop();
  }

  /** Take this particular nonce if it is still in the pool (true), so no one else can use it. */
  claim(nonce: string | undefined): boolean {
    const i = nonce === undefined ? -1 : this.nonces.lastIndexOf(nonce);
    if (i < 0) return false;
    this.nonces.splice(i, 1);
    return true;
  }

  /** How many nonces are pooled (tests). */
  get size(): number {
    return this.nonces.length;
  }
}

/**
 * The pause before re-sending a request after its `attempt`-th badNonce (0-based): none for the first
 * 50 (a CA rejecting 90 % of nonces needs 10 on average and more than 50 once in 200), then 10 ms
 * doubling to 1 s, so a CA that rejects every nonce gets about one request a second, not hundreds. The
 * request's time budget, not a count, ends the retries.
 */
export function badNoncePause(attempt: number): number {
  return attempt < 50 ? 0 : Math.min(1000, 10 * 2 ** (attempt - 50));
}
