/**
 * Reading a response body chunk by chunk with an idle timeout and an AbortSignal — the one loop behind
 * the `/v2/apps` body (client.ts) and the event stream (source.ts). The callers decide what each way
 * of ending means (an error for `/v2/apps`, a reconnect reason for the stream).
 *
 * Fair to the rest of the daemon: once `onChunk` has used `yieldAfterMs` of CPU since the last pause,
 * reading pauses until the event loop has turned (`setImmediate`), so timers and other sockets — the
 * challenge responder above all — are served between chunks even when Marathon sends a large body
 * faster than it can be parsed.
 */
import type { IncomingMessage } from 'node:http';

/** How reading ended. Anything but `end` has destroyed the response. */
export type ConsumeEnd =
  /** The body ended normally. */
  | { readonly kind: 'end' }
  /** The connection closed before the end, without an error event. */
  | { readonly kind: 'closed' }
  /** `signal` fired (before or during reading). */
  | { readonly kind: 'aborted' }
  /** No data for `idleMs`. */
  | { readonly kind: 'idle' }
  /** The connection failed (`error` event). */
  | { readonly kind: 'error'; readonly error: unknown }
  /** `onChunk` threw. */
  | { readonly kind: 'thrown'; readonly error: unknown };

export interface ConsumeOptions {
  /** Longest silence between chunks (and before the first) in ms; 0 or less disables. */
  readonly idleMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Called for every chunk; a throw stops reading (`thrown`). */
  onChunk(chunk: Buffer): void;
  /** CPU time (ms) spent in `onChunk` after which reading yields to the event loop (default 10). */
  readonly yieldAfterMs?: number;
}

/** Read `res` until it ends one way or another. Never rejects; leaves no timer or listener behind. */
export function consume(res: IncomingMessage, o: ConsumeOptions): Promise<ConsumeEnd> {
  return new Promise((resolve) => {
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (end: ConsumeEnd): void => {
      if (settled) return;
      settled = true; // before destroy(): it may emit events synchronously
      clearTimeout(idle);
      o.signal?.removeEventListener('abort', onAbort);
      if (end.kind !== 'end') res.destroy();
      resolve(end);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    const arm = (): void => {
      if (o.idleMs <= 0) return;
      clearTimeout(idle);
      idle = setTimeout(() => finish({ kind: 'idle' }), o.idleMs);
    };
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    const yieldAfterMs = o.yieldAfterMs ?? 10;
    let busyMs = 0;
    const resume = (): void => {
      if (!settled) res.resume();
    };
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      const t0 = performance.now();
      try {
        o.onChunk(chunk);
      } catch (error) {
        finish({ kind: 'thrown', error });
        return;
      }
      arm();
      busyMs += performance.now() - t0;
      if (busyMs >= yieldAfterMs) {
        busyMs = 0;
        res.pause();
        setImmediate(resume);
      }
    });
    res.once('end', () => finish({ kind: 'end' }));
    res.once('error', (error) => finish({ kind: 'error', error }));
    res.once('close', () => finish({ kind: 'closed' }));
  });
}
