/**
 * One plan decision carried out: orders, installs, checks and removals go on the queue; the removal
 * grace is started or stopped in the record; records nobody needs are dropped. A certificate the CA
 * already issued but that was not written (kept) is installed instead of being ordered again.
 */
import type { EventSink } from '../domain/events.js';
import type { Decision } from '../domain/plan.js';
import type { Logger } from '../lib/logger.js';
import type { JobQueue } from './queue.js';
import type { Records } from './records.js';

/** Queue priorities of the jobs that are not orders (orders: by expiry, new names last). */
const PRIORITY = { remove: -2, install: -2, 'check-ari': -1 } as const;

export interface DecisionContext {
  readonly queue: Pick<JobQueue, 'enqueue'>;
  readonly records: Records;
  readonly events: EventSink;
  readonly log: Logger;
  readonly removeAfterMs: number;
}

/** Carry out one decision (orders go to `ca`); true when it put a job on the queue. */
export async function applyDecision(c: DecisionContext, d: Decision, now: number, ca: string): Promise<boolean> {
  const at = new Date(now).toISOString();
  switch (d.kind) {
    case 'issue':
    case 'renew':
      // Issued before but not written (storage outage, restart): install that, never order again.
      if (c.records.keptFor(d.spec)) {
        const reason = 'issued earlier, not written yet';
        c.queue.enqueue({ ...d, kind: 'install', reason, priority: PRIORITY.install, ca });
        return true;
      }
      if (c.records.kept.has(d.name)) await c.records.dropKept(d.name); // wanted with other names now
      c.queue.enqueue({ ...d, ca });
      return true;
    case 'check-ari':
    case 'remove':
      c.queue.enqueue({
        name: d.name,
        kind: d.kind,
        reason: d.reason,
        priority: PRIORITY[d.kind],
        ariRenewal: false,
        ca,
      });
      return true;
    case 'mark-unwanted': {
      await c.records.save({ ...c.records.stateOf(d.name), unwantedSince: at });
      const removeAt = new Date(now + c.removeAfterMs).toISOString();
      c.events.emit({ type: 'removal_scheduled', name: d.name, at, remove_at: removeAt });
      return false;
    }
    case 'clear-unwanted': {
      const { unwantedSince: _u, ...rest } = c.records.stateOf(d.name);
      await c.records.save(rest);
      c.events.emit({ type: 'removal_cancelled', name: d.name, at });
      return false;
    }
    case 'forget':
      await c.records
        .drop(d.name)
        .catch((err: unknown) => c.log.warn({ domain: d.name, err }, 'cannot delete state record'));
      return false;
    case 'hold-removal':
    case 'none':
      return false;
  }
}
