/**
 * A gate in front of work that needs something outside any certificate's control: the CA, or our own
 * storage. When an order fails for lack of it, the gate closes: the work waits (nothing is counted
 * against the certificates), a cheap probe (the CA's directory; a test write) runs with its own short
 * backoff, and the moment it succeeds the gate opens and every waiting job is looked at again.
 *
 * Contract: `close` is idempotent while closed; a probe never overlaps another; `onOpen` is called once
 * per re-opening. A gate closed again and again with no success in between (the probe passes but the
 * work fails: a CA that answers its directory but fails every account lookup) waits longer each time
 * before it re-opens ("strikes": 2 s doubling to 5 min), so that case cannot become a hot loop.
 */
import { backoffDelay, type BackoffPolicy } from '../lib/backoff.js';
import { describeError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** Probing while closed: 1 s doubling to 5 s, so work resumes within seconds of the recovery. */
export const PROBE_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 5000, factor: 2, jitter: 0.2 };
/** Extra wait before re-opening after the second, third, ... close without a success in between. */
export const STRIKE_BACKOFF: BackoffPolicy = { baseMs: 2000, capMs: 300_000, factor: 2, jitter: 0.2 };
/** A gate that stayed open this long forgets its strikes. */
const STRIKES_FORGOTTEN_AFTER_MS = 600_000;
/** Longest one probe may take. */
const PROBE_TIMEOUT_MS = 10_000;

export interface GateCause {
  readonly code: string;
  readonly detail: string;
  /** For storage failures: ENOSPC, EROFS, EACCES, ... */
  readonly errno?: string;
}

export interface GateStatus {
  readonly state: 'open' | 'waiting';
  /** Since when work waits (ISO). */
  readonly since?: string;
  readonly cause?: GateCause;
  /** Probes tried since it closed, and how the last one failed. */
  readonly probes?: number;
  readonly probeError?: string;
}

export interface GateOptions {
  /** What it guards, for the logs: `ca`, `storage`. */
  readonly name: string;
  /** Resolves when the thing answers again; rejects otherwise. */
  readonly probe: (signal: AbortSignal) => Promise<void>;
  /** Called when the gate re-opens (the reconciler plans again). */
  readonly onOpen: () => void;
  readonly log: Logger;
  /** Log messages: when work starts waiting, and when it resumes. */
  readonly messages: { readonly closed: string; readonly opened: string };
  readonly now: () => number;
  readonly random: () => number;
  /** Aborted at shutdown: no more probes. */
  readonly signal: () => AbortSignal;
  readonly probeBackoff?: BackoffPolicy;
  readonly strikeBackoff?: BackoffPolicy;
}

export class Gate {
  private closedAt: number | undefined;
  private openedAt: number;
  private cause: GateCause | undefined;
  private strikes = 0;
  private probes = 0;
  private probeError: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: GateOptions) {
    this.openedAt = opts.now();
  }

  get open(): boolean {
    return this.closedAt === undefined;
  }

  /** Work failed for lack of what the gate guards: hold work until a probe succeeds. */
  close(cause: GateCause): void {
    if (!this.open) return;
    const now = this.opts.now();
    if (now - this.openedAt > STRIKES_FORGOTTEN_AFTER_MS) this.strikes = 0;
    this.strikes++;
    this.closedAt = now;
    this.cause = cause;
    this.probes = 0;
    this.probeError = undefined;
    this.opts.log.warn(
      { gate: this.opts.name, code: cause.code, ...(cause.errno ? { errno: cause.errno } : {}), detail: cause.detail },
      this.opts.messages.closed,
    );
    const first = backoffDelay(this.opts.probeBackoff ?? PROBE_BACKOFF, 1, this.opts.random());
    const penalty =
      this.strikes > 1
        ? backoffDelay(this.opts.strikeBackoff ?? STRIKE_BACKOFF, this.strikes - 1, this.opts.random())
        : 0;
    this.schedule(Math.max(first, penalty));
  }

  /** Work that needed the gate succeeded: the strikes are forgotten. */
  succeeded(): void {
    this.strikes = 0;
  }

  status(): GateStatus {
    if (this.closedAt === undefined) return { state: 'open' };
    return {
      state: 'waiting',
      since: new Date(this.closedAt).toISOString(),
      ...(this.cause ? { cause: this.cause } : {}),
      probes: this.probes,
      ...(this.probeError ? { probeError: this.probeError } : {}),
    };
  }

  /** Shutdown: no more probes. */
  stop(): void {
    clearTimeout(this.timer);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    if (this.opts.signal().aborted) return;
    this.timer = setTimeout(() => void this.runProbe(), delay);
    this.timer.unref?.();
  }

  private async runProbe(): Promise<void> {
    const outer = this.opts.signal();
    if (outer.aborted || this.open) return;
    this.probes++;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(outer.reason);
    outer.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(new Error('probe timed out')), PROBE_TIMEOUT_MS);
    try {
      await this.opts.probe(ac.signal);
    } catch (err) {
      if (outer.aborted && isAbortError(err)) return;
      this.probeError = describeError(err).message;
      const delay = backoffDelay(this.opts.probeBackoff ?? PROBE_BACKOFF, this.probes + 1, this.opts.random());
      this.opts.log.debug({ gate: this.opts.name, err, retry_in_ms: delay }, 'probe failed');
      this.schedule(delay);
      return;
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
    }
    const now = this.opts.now();
    this.opts.log.info(
      { gate: this.opts.name, waited_ms: now - (this.closedAt ?? now), probes: this.probes },
      this.opts.messages.opened,
    );
    this.closedAt = undefined;
    this.openedAt = now;
    this.opts.onOpen();
  }
}
