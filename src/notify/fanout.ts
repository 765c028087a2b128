/**
 * Several notifiers as one: every batch goes to all of them in parallel. Each keeps its own retries.
 * ok only when EVERY notifier reported ok (each is a separate delivery path — marathon-lb, the runtime
 * API, a hook — and the reconciler should know when one of them still lags); `detail` names the
 * failing ones. Rejects only on abort.
 */
import type { Change, Notifier } from '../domain/contracts.js';
import { abortReason } from '../lib/abort.js';
import { describeError } from '../lib/errors.js';

export class FanoutNotifier implements Notifier {
  readonly name: string;

  constructor(private readonly notifiers: readonly Notifier[]) {
    this.name = notifiers.map((n) => n.name).join('+') || 'none';
  }

  async notify(change: Change, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    if (signal.aborted) throw abortReason(signal);
    const results = await Promise.allSettled(this.notifiers.map((n) => n.notify(change, signal)));
    if (signal.aborted) throw abortReason(signal);
    const failures: string[] = [];
    results.forEach((r, i) => {
      const name = this.notifiers[i]!.name;
      if (r.status === 'rejected') failures.push(`${name}: ${describeError(r.reason).message}`);
      else if (!r.value.ok) failures.push(`${name}: ${r.value.detail ?? 'failed'}`);
    });
    return failures.length === 0 ? { ok: true } : { ok: false, detail: failures.join(' | ') };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.notifiers.map((n) => n.stop()));
  }
}
