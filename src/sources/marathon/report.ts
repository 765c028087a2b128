/**
 * What the Marathon source tells the log about a snapshot and the events it sees: each label problem
 * once per change, the useful fields of an event, and handler failures. Never throws.
 */
import type { Problem } from '../../domain/types.js';
import type { Logger } from '../../lib/logger.js';

/** Logs each problem once per change: new ones at warn, resolved ones at info. */
export class ProblemLog {
  private last = new Set<string>();

  constructor(private readonly log: Logger) {}

  report(problems: readonly Problem[]): void {
    const keys = new Set<string>();
    for (const p of problems) {
      const key = `${p.code}\u0000${p.appId ?? ''}\u0000${p.portIndex ?? ''}\u0000${p.label ?? ''}\u0000${p.value ?? ''}`;
      keys.add(key);
      if (!this.last.has(key)) {
        this.log.warn(
          { app_id: p.appId, port_index: p.portIndex, label: p.label, value: p.value, code: p.code, reason: p.reason },
          'label problem',
        );
      }
    }
    for (const key of this.last) {
      if (!keys.has(key)) {
        const [code, appId] = key.split('\u0000');
        this.log.info({ code, app_id: appId }, 'label problem resolved');
      }
    }
    this.last = keys;
    // The label_problems gauge is set by the reconciler from the merged snapshot of every source.
  }
}

/** Call a snapshot handler; what it throws is logged, never propagated. */
export function safeCall(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'snapshot handler threw');
  }
}

/** Fields of an event worth a debug line (0.6.1 logged timestamp and uri). Never throws. */
export function eventFields(data: string): Record<string, unknown> {
  try {
    const e = JSON.parse(data) as Record<string, unknown>;
    return { timestamp: e['timestamp'], uri: e['uri'], app_id: e['appId'] };
  } catch {
    return {};
  }
}
