/**
 * The one retry loop of the daemon: run an operation until it succeeds, sleeping a growing, jittered
 * delay (`backoffDelay`) between failures. The background loops that end on success (the account
 * warm-up, storage loading, the Marathon re-list, load-balancer notifications) use this instead of a loop
 * of their own. The Marathon event-stream reconnect loop keeps its own: it never "succeeds", and its
 * backoff restarts after a healthy stream (src/sources/marathon/source.ts says why).
 */
import { sleep as realSleep } from './abort.js';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { isAbortError } from './errors.js';

export interface RetryOptions {
  readonly policy: BackoffPolicy;
  /** Stops the loop: the pending sleep rejects with the signal's reason, and so does `retry`. */
  readonly signal: AbortSignal;
  /** Called after each failed attempt, before the sleep, with the delay that follows (ms). */
  readonly onFailure?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Whether an error is worth another attempt (default: every error but an abort). */
  readonly retryable?: (err: unknown) => boolean;
  /** Give up after this many attempts and reject with the last error (default: never give up). */
  readonly maxAttempts?: number;
  /** Injected for tests. */
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Resolves with the first successful result of `fn(attempt)` (attempt counts from 1). Rejects with the
 * abort reason once `signal` fires, with an error `retryable` refuses, or with the last error after
 * `maxAttempts`. An abort error thrown by `fn` while the signal fired is never retried.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const random = opts.random ?? Math.random;
  const pause = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt += 1) {
    opts.signal.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal.aborted && isAbortError(err)) throw err;
      const retryable = opts.retryable ? opts.retryable(err) : !isAbortError(err);
      if (!retryable || (opts.maxAttempts !== undefined && attempt >= opts.maxAttempts)) throw err;
      const delay = backoffDelay(opts.policy, attempt, random());
      opts.onFailure?.(err, attempt, delay);
      await pause(delay, opts.signal);
    }
  }
}

/** `retry` for background loops that only end on abort: resolves (never rejects) when `signal` fires. */
export async function retryUntilAborted<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T | undefined> {
  try {
    return await retry(fn, opts);
  } catch (err) {
    if (opts.signal.aborted) return undefined;
    throw err;
  }
}
