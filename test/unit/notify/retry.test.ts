import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/lib/logger.js';
import { BackgroundRetries, PendingNames } from '../../../src/notify/retry.js';
import { memoryLogger } from '../../support/notify-fakes.js';

test('BackgroundRetries: after stop(), start() and supersede() do nothing (no timer keeps the process alive)', async () => {
  const r = new BackgroundRetries(silentLogger(), { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 });
  r.start('x', async () => false);
  assert.deepEqual(r.pending(), ['x']);
  await r.stop();
  assert.deepEqual(r.pending(), []);
  r.supersede();
  r.start('y', async () => false);
  assert.deepEqual(r.pending(), [], 'nothing started after stop');
  await r.settled();
});

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await new Promise((res) => setImmediate(res));
};

test('BackgroundRetries: waits before every retry, doubling up to the cap; false and throws are failures', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, lines } = memoryLogger();
  const r = new BackgroundRetries(logger, { baseMs: 1000, capMs: 4000, factor: 2, jitter: 0 });
  let now = 0;
  const at: number[] = [];
  r.start('lb', async () => {
    at.push(now);
    if (at.length === 2) throw new Error('boom');
    return at.length >= 4;
  });
  const advance = async (ms: number): Promise<void> => {
    await settle(); // the loop schedules its sleep a few microtasks after start()
    now += ms;
    t.mock.timers.tick(ms);
    await settle();
  };
  await advance(999);
  assert.deepEqual(at, [], 'the failed delivery itself was attempt 0: the first retry waits the base delay');
  for (const step of [1, 2000, 4000, 4000]) await advance(step);
  assert.deepEqual(at, [1000, 3000, 7000, 11_000]);
  await r.settled();
  assert.deepEqual(r.pending(), []);
  const log = lines();
  assert.match(log, /"attempt":2,.*"msg":"delivery retry failed"/);
  assert.doesNotMatch(log, /"attempt":[13],.*"msg":"delivery retry failed"/, 'a refusal (false) is not logged');
  assert.match(log, /"attempt":4,.*"msg":"delivery succeeded on retry"/);
});

test('BackgroundRetries: supersede() cancels the pending retries; later ones start afresh', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const r = new BackgroundRetries(silentLogger(), { baseMs: 1000, capMs: 1000, factor: 1, jitter: 0 });
  let calls = 0;
  r.start('old', async () => {
    calls += 1;
    return false;
  });
  r.supersede();
  r.start('new', async () => true);
  assert.deepEqual(r.pending(), ['new']);
  await settle();
  t.mock.timers.tick(1000);
  await r.settled();
  assert.equal(calls, 0, 'the superseded retry never ran');
  assert.deepEqual(r.pending(), []);
});

test('PendingNames: the latest event of a name wins; delivered() forgets all but the failed and the newer', () => {
  const p = new PendingNames();
  p.add({ written: ['a', 'b'], removed: ['c'] });
  p.add({ written: ['c'], removed: ['a'] });
  const snap = p.take();
  assert.deepEqual(snap.change, { written: ['b', 'c'], removed: ['a'] });
  p.add({ written: ['b'], removed: [] }); // a newer event for b while the snapshot is delivered
  snap.delivered(['c']);
  assert.deepEqual(p.take().change, { written: ['c', 'b'], removed: [] });
  assert.equal(p.size, 2);
});
