import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrderGate } from '../../../src/reconciler/budget.js';
import { type Job, JobQueue } from '../../../src/reconciler/queue.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { spec } from '../../support/fakes.js';

const CA = 'https://ca.test/directory';

/** A gate with `left` orders, reporting what the queue tells it. */
function gate(left: number, enabled = true) {
  const reports: Array<{ blocked: boolean; queued: number }> = [];
  const g: OrderGate = {
    enabled,
    take: () => left-- > 0,
    nextFreeAt: () => 1234,
    report: (blocked, queued) => reports.push({ blocked, queued }),
  };
  return { g, reports };
}

function queue(o: { max?: number; gate?: OrderGate } = {}) {
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
    log: silentLogger(),
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
