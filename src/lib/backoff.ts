/** Parameters of an exponential backoff with full jitter around a growing ceiling. */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  readonly baseMs: number;
  /** Upper bound of any delay, in ms. */
  readonly capMs: number;
  /** Growth factor per attempt (2 doubles). */
  readonly factor: number;
  /** Fraction of the delay that is randomised, 0..1 ("equal jitter" at 0.5). */
  readonly jitter: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry). Pure: `random` is passed in (0 <= r < 1).
 * The result lies in [d*(1-jitter), d] where d = min(cap, base*factor^(attempt-1)), so it never
 * exceeds the cap and never collapses to zero (no hot loop even with jitter 1 and r = 0: floor 1 ms).
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** (n - 1));
  const delay = ceiling * (1 - policy.jitter * random);
  return Math.max(1, Math.round(delay));
}
