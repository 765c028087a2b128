import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrderGate } from '../../../src/reconciler/budget.js';
import { type Job, JobQueue } from '../../../src/reconciler/queue.js';
import { type Logger, silentLogger } from '../../../src/lib/logger.js';
import { memoryLogger } from '../../support/notify-fakes.js';
import { spec } from '../../support/fakes.js';

const CA = 'https://ca.test/directory';

/** A gate with `left` orders, reporting what the queue tells it. */
function gate(left: number, enabled = true) {
  const reports: Array<{ blocked: boolean; queued: number }> = [];
  const g: OrderGate = {
    enabled,
    reserve: (ca) => (left-- > 0 ? { ca, at: 0 } : undefined),
    nextFreeAt: () => 1234,
    report: (blocked, queued) => reports.push({ blocked, queued }),
  };
  return { g, reports };
}

function queue(o: { max?: number; gate?: OrderGate; log?: Logger } = {}) {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  let settled = 0;
  const q = new JobQueue({
    maxConcurrent: o.max ?? 5,
    budget: o.gate ?? gate(0, false).g,
    run: (job: Job) => {
      started.push(job.name);
      return new Promise<void>((r) => finish.set(job.name, r));
    },
    onSettled: () => {
      settled++;
    },
    log: o.log ?? silentLogger(),
  });
  return { q, started, finish, settled: () => settled };
}

const job = (name: string, kind: Job['kind'], priority: number) => ({
  name,
  kind,
  spec: spec(name),
  reason: 'r',
  priority,
  ariRenewal: false,
  ca: CA,
});

test('dispatch starts the most urgent first, up to the cap', () => {
  const { q, started } = queue({ max: 2 });
  q.enqueue(job('new.example', 'issue', Number.MAX_SAFE_INTEGER));
  q.enqueue(job('soon.example', 'renew', 100));
  q.enqueue(job('gone.example', 'remove', -2));
  assert.equal(q.dispatch(), Infinity);
  assert.deepEqual(started, ['gone.example', 'soon.example']);
  assert.deepEqual(q.counts(), { running: 2, queued: 1 });
});

test('a running job is neither replaced nor withdrawn; a settled one leaves the queue', async () => {
  const { q, started, finish, settled } = queue();
  q.enqueue(job('a.example', 'issue', 1));
  q.dispatch();
  q.enqueue({ ...job('a.example', 'renew', 0), reason: 'again' });
  assert.equal(q.get('a.example')?.kind, 'issue');
  q.withdrawStale(new Set());
  assert.equal(q.get('a.example')?.running, true);
  finish.get('a.example')!();
  await q.settle();
  assert.equal(q.get('a.example'), undefined);
  assert.equal(settled(), 1);
  assert.deepEqual(started, ['a.example']);
});

test('withdrawStale drops queued jobs the plan no longer asks for', () => {
  const { q } = queue({ max: 0 });
  q.enqueue(job('a.example', 'issue', 1));
  q.enqueue(job('b.example', 'issue', 1));
  q.withdrawStale(new Set(['b.example']));
  assert.equal(q.get('a.example'), undefined);
  assert.equal(q.get('b.example')?.running, false);
});

test('new orders wait for the budget; renewals do not; the gate hears whether it blocked', () => {
  const { g, reports } = gate(1);
  const { q, started } = queue({ gate: g });
  q.enqueue(job('a.example', 'issue', 10));
  q.enqueue(job('b.example', 'issue', 10));
  q.enqueue(job('r.example', 'renew', 20));
  assert.equal(q.dispatch(), 1234, 'look again when the budget frees');
  assert.deepEqual(started, ['a.example', 'r.example']);
  assert.deepEqual(reports, [{ blocked: true, queued: 3 }]);
  assert.deepEqual(q.counts(), { running: 2, queued: 1 });
});

test('ordersInFlight sees queued and running orders, not checks, and not the one excepted', () => {
  const { q } = queue({ max: 0 });
  q.enqueue(job('c.example', 'check-ari', -1));
  assert.equal(q.ordersInFlight(), false);
  q.enqueue(job('a.example', 'renew', 1));
  assert.equal(q.ordersInFlight(), true);
  assert.equal(q.ordersInFlight('a.example'), false);
});

test('new orders are shared round-robin between requesters, not first-come in name order', () => {
  const { g } = gate(4);
  const { q, started } = queue({ gate: g });
  const forApp = (name: string, app: string) => ({
    ...job(name, 'issue', Number.MAX_SAFE_INTEGER),
    spec: { name, names: [name], requestedBy: [{ source: 'marathon' as const, appId: app, portIndex: 0 }] },
  });
  // One app with 15 names (the first in name order), two others with one each.
  for (let i = 0; i < 15; i++) q.enqueue(forApp(`a${String(i).padStart(2, '0')}.example`, '/big'));
  q.enqueue(forApp('m.example', '/small'));
  q.enqueue(forApp('z.example', '/other'));
  q.dispatch();
  assert.deepEqual(
    started,
    ['a00.example', 'z.example', 'm.example', 'a01.example'],
    'by requester (/big, /other, /small), then again',
  );
});

test('the requester served least recently goes first in the next dispatch', async () => {
  const { g } = gate(10);
  const { q, started, finish } = queue({ gate: g, max: 1 });
  const forApp = (name: string, app: string) => ({
    ...job(name, 'issue', Number.MAX_SAFE_INTEGER),
    spec: { name, names: [name], requestedBy: [{ source: 'marathon' as const, appId: app, portIndex: 0 }] },
  });
  q.enqueue(forApp('a1.example', '/a'));
  q.enqueue(forApp('a2.example', '/a'));
  q.enqueue(forApp('b1.example', '/b'));
  q.dispatch();
  finish.get('a1.example')!();
  await q.settle();
  q.dispatch();
  finish.get('b1.example')!();
  await q.settle();
  q.dispatch();
  assert.deepEqual(started, ['a1.example', 'b1.example', 'a2.example']);
});

test('canStart holds a job in the queue (a closed gate); the others still go', () => {
  const started: string[] = [];
  const q = new JobQueue({
    maxConcurrent: 5,
    budget: gate(0, false).g,
    run: async (j) => {
      started.push(j.name);
    },
    onSettled: () => {},
    log: silentLogger(),
    canStart: (j) => j.kind !== 'issue',
  });
  q.enqueue(job('a.example', 'issue', 1));
  q.enqueue(job('b.example', 'remove', -2));
  q.dispatch();
  assert.deepEqual(started, ['b.example']);
  assert.equal(q.get('a.example')?.running, false, 'still queued');
});

test('a withdrawn order is logged at info; a withdrawn check (thousands when the CA has no ARI) at debug', () => {
  const { logger, lines } = memoryLogger();
  const { q } = queue({ max: 0, log: logger });
  q.enqueue(job('order.example', 'issue', 1));
  q.enqueue(job('check.example', 'check-ari', 1));
  q.withdrawStale(new Set());
  const levels = lines()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string | number; domain: string })
    .map((l) => [l.domain, l.level]);
  assert.deepEqual(levels.sort(), [
    ['check.example', 'debug'],
    ['order.example', 'info'],
  ]);
});
