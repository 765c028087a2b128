/** SyncScheduler on mocked timers (node:test mock.timers): coalescing, minimum interval, retry backoff, periodic resync. */
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncScheduler, type SyncSchedulerOptions } from '../../../../src/sources/marathon/sync.js';

interface Call {
  readonly at: number;
  readonly reason: string;
  readonly attempt: number;
}

/** A scheduler whose re-lists take `durationMs` and fail while `failing()` says so. */
function harness(over: Partial<SyncSchedulerOptions> = {}, durationMs = 0) {
  const calls: Call[] = [];
  let failing = false;
  const scheduler = new SyncScheduler({
    debounceMs: 250,
    minSyncIntervalMs: 1000,
    resyncIntervalMs: 0,
    backoff: { baseMs: 1000, capMs: 1000, factor: 1, jitter: 0 },
    random: () => 0,
    relist: async (reason, attempt) => {
      calls.push({ at: Date.now(), reason, attempt });
      if (durationMs > 0) await new Promise((r) => setTimeout(r, durationMs));
      if (failing) throw new Error('503');
    },
    ...over,
  });
  const ac = new AbortController();
  scheduler.start(ac.signal);
  return {
    scheduler,
    calls,
    fail: (on: boolean) => {
      failing = on;
    },
    stop: async () => {
      ac.abort();
      await scheduler.stop();
    },
  };
}

/** Advance the mocked clock in small steps, letting promise callbacks run in between. */
async function advance(ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    mock.timers.tick(step);
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  }
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

test('a request re-lists after its delay; a storm of 1000 requests gives at most 2 re-lists', async () => {
  const h = harness({}, 100);
  h.scheduler.request('connect', 0);
  await advance(20);
  assert.deepEqual(
    h.calls.map((c) => c.reason),
    ['connect'],
  );
  await advance(1500);
  for (let i = 0; i < 1000; i++) h.scheduler.request('api_post_event', 250);
  await advance(5000);
  assert.equal(h.calls.length, 2, 'one re-list for the whole storm after the first');
  assert.equal(h.calls[1]!.reason, 'api_post_event');
  await h.stop();
});

test('leading edge: an event after quiet re-lists at once; a storm of 1000 while it runs gives one more re-list', async () => {
  const h = harness({}, 100);
  const t0 = Date.now();
  h.scheduler.request('connect', 0);
  await advance(1500);
  // Quiet: the first event of a storm starts a re-list at once, the rest of the storm is one more.
  const t1 = Date.now();
  for (let i = 0; i < 1000; i++) {
    h.scheduler.request('api_post_event', 0);
    if (i === 0) await advance(10);
  }
  await advance(5000);
  assert.deepEqual(
    h.calls.map((c) => c.reason),
    ['connect', 'api_post_event', 'coalesced'],
  );
  // At once: within the first step of the mocked clock (10 ms), not after a debounce.
  assert.ok(h.calls[1]!.at - t1 <= 10, `first event served ${h.calls[1]!.at - t1} ms after it came`);
  assert.equal(h.calls[2]!.at - h.calls[1]!.at, 1000, 'the rest waits for minSyncIntervalMs');
  assert.ok(h.calls[0]!.at - t0 <= 10);
  await h.stop();
});

test('requests while a re-list runs coalesce into one more, debounceMs after it ends and minSyncIntervalMs after its start', async () => {
  const h = harness({}, 300);
  const t0 = Date.now();
  h.scheduler.request('connect', 0);
  await advance(50);
  for (let i = 0; i < 10; i++) h.scheduler.request('deployment_success', 250);
  await advance(3000);
  assert.deepEqual(
    h.calls.map((c) => c.reason),
    ['connect', 'coalesced'],
  );
  assert.ok(h.calls[1]!.at - t0 >= 1000, `second start ${h.calls[1]!.at - t0} ms after the first`);
  await h.stop();
});

test('after a failed re-list nothing re-lists before the backoff, whatever asks; then it retries', async () => {
  const h = harness({ minSyncIntervalMs: 50, debounceMs: 10 });
  h.fail(true);
  h.scheduler.request('connect', 0);
  await advance(20);
  for (let t = 0; t < 2900; t += 40) {
    h.scheduler.request('api_post_event', 10);
    h.scheduler.request('resync', 0);
    await advance(40);
  }
  const starts = h.calls.map((c) => c.at - h.calls[0]!.at);
  assert.deepEqual(starts, [0, 1000, 2000], 'one attempt per backoff delay (1 s)');
  assert.deepEqual(
    h.calls.map((c) => [c.reason, c.attempt]),
    [
      ['connect', 1],
      ['retry', 2],
      ['retry', 3],
    ],
  );
  h.fail(false);
  await advance(1100);
  assert.deepEqual(h.calls.at(-1), { at: h.calls[0]!.at + 3000, reason: 'retry', attempt: 4 });
  await advance(2000);
  assert.equal(h.calls.length, 4, 'requests made before the successful attempt started are served by it');
  await h.stop();
});

test('a retry never starts sooner than minSyncIntervalMs after the previous start', async () => {
  const h = harness({ minSyncIntervalMs: 500, backoff: { baseMs: 100, capMs: 100, factor: 1, jitter: 0 } });
  h.fail(true);
  h.scheduler.request('connect', 0);
  await advance(1200);
  assert.deepEqual(
    h.calls.map((c) => c.at - h.calls[0]!.at),
    [0, 500, 1000],
  );
  await h.stop();
});

test('periodic resync every resyncIntervalMs after the last re-list; 0 disables it', async () => {
  const h = harness({ resyncIntervalMs: 1000, minSyncIntervalMs: 0 });
  await advance(3050);
  assert.deepEqual(
    h.calls.map((c) => c.reason),
    ['periodic', 'periodic', 'periodic'],
  );
  await h.stop();
  const off = harness({ resyncIntervalMs: 0 });
  await advance(3000);
  assert.equal(off.calls.length, 0);
  await off.stop();
});

test('stop() ends a pending retry and ignores later requests', async () => {
  const h = harness();
  h.fail(true);
  h.scheduler.request('connect', 0);
  await advance(20);
  await h.stop();
  h.scheduler.request('resync', 0);
  await advance(5000);
  assert.equal(h.calls.length, 1);
});
