/**
 * Polling an order or authorization (RFC 8555 §7.5.1, §7.4): start short (a CA that validates quickly,
 * such as Pebble, finishes in tens of ms) and grow geometrically to a polite ceiling; wait longer when the
 * CA's `Retry-After` asks for it. Bounded only by `signal`: the issuer's order budget aborts it.
 */
import { sleep } from '../lib/abort.js';

export interface PollOptions {
  /** First delay when the CA gives no Retry-After (ms). */
  initialMs: number;
  /** Ceiling of the growing delay (ms). */
  maxMs: number;
  /** Stops polling (rejecting with the signal's reason): the order budget or the caller. */
  signal: AbortSignal;
}

/**
 * Delay before the next poll: the growing backoff step (`initialMs` × 1.5^step, up to `maxMs`), or longer
 * when the CA's `Retry-After` asks for more. Retry-After is a minimum, never a replacement: `Retry-After: 0`
 * or a date in the past (clock skew) must not turn polling into a busy loop.
 */
export function nextDelay(
  step: number,
  retryAfter: Date | undefined,
  opts: Pick<PollOptions, 'initialMs' | 'maxMs'>,
  now = Date.now(),
): number {
  const backoff = Math.min(opts.maxMs, opts.initialMs * 1.5 ** step);
  return retryAfter ? Math.max(backoff, retryAfter.getTime() - now) : backoff;
}

/**
 * Fetch repeatedly until `done(value)`; returns that value. The first fetch happens after the first delay
 * (callers already hold a fresh object when they start polling). Rejects with the signal's reason when
 * `signal` fires.
 */
export async function pollUntil<T>(
  fetch: () => Promise<{ value: T; retryAfter?: Date }>,
  done: (value: T) => boolean,
  first: { value: T; retryAfter?: Date },
  opts: PollOptions,
): Promise<T> {
  let current = first;
  for (let step = 0; !done(current.value); step++) {
    await sleep(nextDelay(step, current.retryAfter, opts), opts.signal);
    current = await fetch();
  }
  return current.value;
}
