/** A Reconciler on the in-memory adapters of fakes.ts and virtual time: the reconciler's unit tests share it. */
import type { TestContext } from 'node:test';
import { silentLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { Reconciler, type ReconcilerOptions } from '../../src/reconciler/reconciler.js';
import { DAY, EventRecorder, FakeIssuer, FakeNotifier, MemStore, VirtualTime } from './fakes.js';

/** A reconciler on in-memory adapters and virtual time, started. */
export function setup(
  time: VirtualTime,
  o: Partial<ReconcilerOptions> = {},
  store = new MemStore(time.now),
  issuer = new FakeIssuer(),
) {
  const notifier = new FakeNotifier();
  const events = new EventRecorder();
  const ac = new AbortController();
  const r = new Reconciler({
    store,
    issuer,
    notifier,
    events,
    logger: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    sources: ['marathon'],
    keyType: 'ec256',
    removeAfterMs: 7 * DAY,
    maxRemovalFraction: 0.5,
    revokeRemoved: false,
    productionCa: true,
    maxConcurrentOrders: 5,
    orderBudget: 0,
    notifyDebounceMs: 20,
    clock: time.now,
    ...o,
  });
  const done = r.start(ac.signal);
  return {
    r,
    store,
    issuer,
    notifier,
    events,
    stop: async () => {
      ac.abort();
      await time.settle(done, 'the reconciler stopped');
    },
  };
}

/** `setup` on a fresh virtual clock. */
export function started(t: TestContext, o: Partial<ReconcilerOptions> = {}) {
  const time = new VirtualTime(t);
  return { time, ...setup(time, o) };
}
