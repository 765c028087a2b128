/**
 * The log lines of the certificates' lifecycle, written from the events: the same messages and fields
 * the reconciler wrote before the events existed (operators, the e2e tests and the demo grep them).
 * Batch facts repeated on each certificate's event (a delivery, the held removals) are logged once, on
 * the event of the batch's first name. Events without a line of their own are not logged.
 */
import type { LifecycleEvent, LifecycleEventType } from '../domain/events.js';
import type { Logger } from '../lib/logger.js';
import type { Subscriber } from './bus.js';

type Lines = { readonly [T in LifecycleEventType]?: (log: Logger, e: Extract<LifecycleEvent, { type: T }>) => void };

const LINES: Lines = {
  requested: (log, e) =>
    log.info(
      {
        domain: e.name,
        names: e.names,
        reason: e.reason,
        attempt: e.attempt,
        requested_by: e.requested_by,
        ...(e.replaces ? { replaces: e.replaces } : {}),
        ...(e.issuer ? { issuer: e.issuer } : {}),
      },
      e.kind === 'renew' ? 'renewing certificate' : 'ordering certificate',
    ),
  installed: (log, e) =>
    log.info(
      { domain: e.name, serial: e.serial, not_after: e.not_after, reason: e.reason, issuer: e.issuer },
      'certificate installed',
    ),
  backoff: (log, e) =>
    log.warn(
      {
        domain: e.name,
        attempt: e.attempt,
        code: e.code,
        problem_type: e.problem_type,
        detail: e.detail,
        retry_in: Math.round(Math.max(0, Date.parse(e.next_attempt) - Date.parse(e.at)) / 1000),
        next_attempt: e.next_attempt,
      },
      'certificate order failed',
    ),
  renewal_scheduled: (log, e) => {
    if (!e.window) return;
    const { start, end, explanation_url } = e.window;
    log.info(
      { domain: e.name, window_start: start, window_end: end, renew_at: e.renew_at, explanation_url },
      'renewal information received',
    );
  },
  removal_scheduled: (log, e) =>
    log.info({ domain: e.name, remove_at: e.remove_at }, 'certificate no longer requested'),
  removal_cancelled: (log, e) => log.info({ domain: e.name }, 'certificate requested again'),
  removed: (log, e) => log.info({ domain: e.name, reason: e.reason }, 'certificate removed'),
  revoked: (log, e) => log.info({ domain: e.name, serial: e.serial }, 'certificate revoked'),
  delivered: (log, e) => {
    if (e.name !== (e.written[0] ?? e.removed[0])) return;
    if (e.ok) log.info({ written: e.written, removed: e.removed }, 'load balancers notified');
    else
      log.warn(
        { written: e.written, removed: e.removed, detail: e.detail },
        'load balancers not notified; retrying in the background',
      );
  },
  removal_held: (log, e) => {
    if (e.name !== e.held[0]) return;
    log.error(
      { domains: e.held, count: e.held.length, managed: e.managed },
      'mass removal held; release with POST /removals/release after checking the Marathon group',
    );
  },
};

/** Logs as the reconciler's component (`component: reconciler`), as before the events existed. */
export function logSubscriber(logger: Logger): Subscriber {
  const log = logger.child({ component: 'reconciler' });
  return (e) => (LINES[e.type] as ((log: Logger, e: LifecycleEvent) => void) | undefined)?.(log, e);
}
