import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EventBus } from '../../../src/events/bus.js';
import { logSubscriber } from '../../../src/events/log-subscriber.js';
import type { LifecycleEventInput } from '../../../src/domain/events.js';

const AT = '2026-11-22T12:00:00.000Z';

/** A bus whose log subscriber writes JSON lines into `lines`. */
function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const bus = new EventBus();
  bus.subscribe(logSubscriber(pino({ level: 'debug' }, sink)));
  return { bus, lines, emit: (e: LifecycleEventInput) => bus.emit(e) };
}

const cases: Array<{ name: string; events: LifecycleEventInput[]; msg: string; fields: Record<string, unknown> }> = [
  {
    name: 'requested (issue) is "ordering certificate"',
    events: [
      {
        type: 'requested',
        name: 'a.example',
        at: AT,
        kind: 'issue',
        names: ['a.example', 'www.a.example'],
        reason: 'no certificate',
        attempt: 1,
        requested_by: [{ source: 'marathon', appId: '/a', portIndex: 0 }],
        issuer: 'https://ca/dir',
      },
    ],
    msg: 'ordering certificate',
    fields: {
      domain: 'a.example',
      names: ['a.example', 'www.a.example'],
      reason: 'no certificate',
      attempt: 1,
      requested_by: [{ source: 'marathon', appId: '/a', portIndex: 0 }],
      component: 'reconciler',
    },
  },
  {
    name: 'requested (renew) is "renewing certificate" with replaces',
    events: [
      {
        type: 'requested',
        name: 'a.example',
        at: AT,
        kind: 'renew',
        names: ['a.example'],
        reason: 'ari-window',
        attempt: 2,
        requested_by: [],
        replaces: 'id.1',
        issuer: 'https://ca/dir',
      },
    ],
    msg: 'renewing certificate',
    fields: { domain: 'a.example', attempt: 2, replaces: 'id.1' },
  },
  {
    name: 'installed',
    events: [
      {
        type: 'installed',
        name: 'a.example',
        at: AT,
        serial: 'ab',
        not_after: '2027-02-20T12:00:00.000Z',
        issuer: 'https://ca/dir',
        reason: 'no certificate',
      },
    ],
    msg: 'certificate installed',
    fields: { domain: 'a.example', serial: 'ab', not_after: '2027-02-20T12:00:00.000Z', reason: 'no certificate' },
  },
  {
    name: 'backoff is "certificate order failed" with retry_in in seconds',
    events: [
      {
        type: 'backoff',
        name: 'a.example',
        at: AT,
        attempt: 3,
        code: 'ACME_PROBLEM',
        problem_type: 'rateLimited',
        detail: 'too many',
        next_attempt: '2026-11-22T12:05:00.400Z',
      },
    ],
    msg: 'certificate order failed',
    fields: {
      domain: 'a.example',
      attempt: 3,
      code: 'ACME_PROBLEM',
      problem_type: 'rateLimited',
      detail: 'too many',
      retry_in: 300,
      next_attempt: '2026-11-22T12:05:00.400Z',
    },
  },
  {
    name: 'renewal_scheduled from ARI is "renewal information received"',
    events: [
      {
        type: 'renewal_scheduled',
        name: 'a.example',
        at: AT,
        renew_at: '2026-12-01T00:00:00.000Z',
        reason: 'ari-window',
        window: { start: '2026-11-30T00:00:00.000Z', end: '2026-12-02T00:00:00.000Z', explanation_url: 'https://x' },
      },
    ],
    msg: 'renewal information received',
    fields: {
      domain: 'a.example',
      window_start: '2026-11-30T00:00:00.000Z',
      window_end: '2026-12-02T00:00:00.000Z',
      renew_at: '2026-12-01T00:00:00.000Z',
      explanation_url: 'https://x',
    },
  },
  {
    name: 'removal_scheduled',
    events: [{ type: 'removal_scheduled', name: 'a.example', at: AT, remove_at: '2026-11-29T12:00:00.000Z' }],
    msg: 'certificate no longer requested',
    fields: { domain: 'a.example', remove_at: '2026-11-29T12:00:00.000Z' },
  },
  {
    name: 'removal_cancelled',
    events: [{ type: 'removal_cancelled', name: 'a.example', at: AT }],
    msg: 'certificate requested again',
    fields: { domain: 'a.example' },
  },
  {
    name: 'removed',
    events: [{ type: 'removed', name: 'a.example', at: AT, reason: 'unwanted for longer than remove-after' }],
    msg: 'certificate removed',
    fields: { domain: 'a.example', reason: 'unwanted for longer than remove-after' },
  },
  {
    name: 'revoked',
    events: [{ type: 'revoked', name: 'a.example', at: AT, serial: 'ab' }],
    msg: 'certificate revoked',
    fields: { domain: 'a.example', serial: 'ab' },
  },
  {
    name: 'a delivered batch is logged once',
    events: ['a.example', 'b.example', 'c.example'].map((name) => ({
      type: 'delivered' as const,
      name,
      at: AT,
      targets: 'marathon-lb',
      ok: true,
      written: ['a.example', 'b.example'],
      removed: ['c.example'],
    })),
    msg: 'load balancers notified',
    fields: { written: ['a.example', 'b.example'], removed: ['c.example'] },
  },
  {
    name: 'a failed delivery is a warning with its detail',
    events: [
      {
        type: 'delivered',
        name: 'c.example',
        at: AT,
        targets: 'x',
        ok: false,
        detail: 'down',
        written: [],
        removed: ['c.example'],
      },
    ],
    msg: 'load balancers not notified; retrying in the background',
    fields: { written: [], removed: ['c.example'], detail: 'down', level: 40 },
  },
  {
    name: 'held removals are logged once per held set',
    events: ['a.example', 'b.example', 'c.example'].map((name) => ({
      type: 'removal_held' as const,
      name,
      at: AT,
      held: ['a.example', 'b.example', 'c.example'],
      managed: 4,
    })),
    msg: 'mass removal held; release with POST /removals/release after checking the Marathon group',
    fields: { domains: ['a.example', 'b.example', 'c.example'], count: 3, managed: 4, level: 50 },
  },
];

for (const c of cases)
  test(`log line: ${c.name}`, () => {
    const l = logged();
    for (const e of c.events) l.emit(e);
    assert.equal(l.lines.length, 1, JSON.stringify(l.lines));
    const line = l.lines[0]!;
    assert.equal(line.msg, c.msg);
    for (const [k, v] of Object.entries(c.fields)) assert.deepEqual(line[k], v, k);
  });

test('events without a line of their own are not logged', () => {
  const l = logged();
  l.emit({ type: 'renewal_scheduled', name: 'a', at: AT, renew_at: AT, reason: 'two-thirds-lifetime' });
  l.emit({ type: 'ordered', name: 'a', at: AT, issuer: 'https://ca/dir' });
  assert.deepEqual(l.lines, []);
});
