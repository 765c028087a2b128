/**
 * Sleep for `ms` milliseconds; rejects with the signal's reason (an AbortError) as soon as `signal`
 * fires. Never leaves a timer behind.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The signal's reason as an Error whose name is AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * `p`, or the signal's reason as soon as `signal` fires. `p` keeps running for its other waiters: use it
 * to let one caller stop waiting for a shared operation without cancelling the operation for the others.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A signal that fires when `parent` fires (with the parent's reason) or after `timeoutMs` with
 * `reason()` (default: a TimeoutError DOMException, as `AbortSignal.timeout`). Unlike
 * `AbortSignal.timeout`, the reason can be a typed error and the timer can be cleared: call `clear()`
 * when the operation is over. Built on `AbortSignal.any` (its link to a long-lived parent is weak).
 */
export function withTimeout(
  parent: AbortSignal | undefined,
  timeoutMs: number,
  reason?: () => unknown,
): { signal: AbortSignal; clear(): void } {
  const ctl = new AbortController();
  const timer = setTimeout(
    () => ctl.abort(reason ? reason() : new DOMException('The operation timed out', 'TimeoutError')),
    Math.max(0, timeoutMs),
  );
  return { signal: parent ? AbortSignal.any([parent, ctl.signal]) : ctl.signal, clear: () => clearTimeout(timer) };
}
