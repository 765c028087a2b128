/** Nobody to tell (no --marathon-lb, no HAProxy socket, no command): every batch is trivially delivered. */
import type { Change, Notifier } from '../domain/contracts.js';

export class NoopNotifier implements Notifier {
  readonly name = 'none';
  async notify(_change: Change, _signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    return { ok: true, detail: 'no notifier configured' };
  }
  async stop(): Promise<void> {}
}
