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
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
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
 * A signal that fires when any of `signals` fires or after `timeoutMs` (if given and > 0).
 * Node 20 has AbortSignal.any and AbortSignal.timeout; this wraps them for readability.
 */
export function withTimeout(timeoutMs: number | undefined, ...signals: (AbortSignal | undefined)[]): AbortSignal {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (timeoutMs !== undefined && timeoutMs > 0) list.push(AbortSignal.timeout(timeoutMs));
  if (list.length === 0) return new AbortController().signal;
  if (list.length === 1) return list[0]!;
  return AbortSignal.any(list);
}
