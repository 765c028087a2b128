import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Delivery } from '../../../src/reconciler/delivery.js';
import type { CertState } from '../../../src/domain/types.js';
import { EventRecorder, FakeNotifier, VirtualTime } from '../../support/fakes.js';

function delivery(time: VirtualTime, inFlight: { orders: boolean }) {
  const notifier = new FakeNotifier();
  const events = new EventRecorder();
  const states = new Map<string, CertState>();
  const record = (name: string, o: Partial<CertState> = {}) =>
    states.set(name, { name, names: [name], requestedBy: [], failures: 0, ...o });
  const d = new Delivery({
    notifier,
    records: {
      states,
      save: async (s) => {
        states.set(s.name, s);
      },
    },
    events,
    now: time.now,
    ordersInFlight: () => inFlight.orders,
    signal: () => new AbortController().signal,
    debounceMs: 1000,
    maxDelayMs: 30_000,
  });
  return { d, notifier, events, states, record };
}

test('with nothing else in flight, a change goes out almost at once', async (t) => {
  const time = new VirtualTime(t);
  const x = delivery(time, { orders: false });
  x.d.queueChange('written', 'a.example');
  await time.advance(25);
  assert.deepEqual(x.notifier.calls, [{ written: ['a.example'], removed: [] }]);
  assert.deepEqual(
    x.events.of('delivered').map((e) => [e.name, e.ok, e.targets]),
    [['a.example', true, 'fake']],
  );
});

test('changes wait for the orders in flight, then go as one batch', async (t) => {
  const time = new VirtualTime(t);
  const inFlight = { orders: true };
  const x = delivery(time, inFlight);
  x.d.queueChange('written', 'a.example');
  await time.advance(2000, 100);
  x.d.queueChange('removed', 'c.example');
  await time.advance(2000, 100);
  assert.equal(x.notifier.calls.length, 0, 'orders still run');
  inFlight.orders = false;
  await time.advance(1100, 100);
  assert.deepEqual(x.notifier.calls, [{ written: ['a.example'], removed: ['c.example'] }]);
  assert.deepEqual(
    x.events.of('delivered').map((e) => e.name),
    ['a.example', 'c.example'],
  );
});

test('a batch waits at most maxDelayMs', async (t) => {
  const time = new VirtualTime(t);
  const x = delivery(time, { orders: true });
  x.d.queueChange('written', 'a.example');
  await time.advance(29_000, 500);
  assert.equal(x.notifier.calls.length, 0);
  await time.advance(2000, 500);
  assert.equal(x.notifier.calls.length, 1);
});

test('a failed delivery marks the written certificates; a successful one clears every mark', async (t) => {
  const time = new VirtualTime(t);
  const x = delivery(time, { orders: false });
  x.record('a.example');
  x.record('b.example');
  let ok = false;
  x.notifier.notify = async (c) => {
    x.notifier.calls.push(c);
    return ok ? { ok: true } : { ok: false, detail: 'down' };
  };
  x.d.queueChange('written', 'a.example');
  await time.advance(25);
  assert.equal(x.states.get('a.example')?.deliveryPending, true);
  assert.equal(x.states.get('b.example')?.deliveryPending, undefined);
  assert.equal(x.events.of('delivered')[0]?.detail, 'down');
  ok = true;
  x.d.queueChange('written', 'b.example');
  await time.advance(25);
  assert.equal(x.states.get('a.example')?.deliveryPending, undefined, 'cleared by the later reload');
});

test('a notifier that throws counts as a failed delivery', async (t) => {
  const time = new VirtualTime(t);
  const x = delivery(time, { orders: false });
  x.record('a.example');
  x.notifier.notify = async () => {
    throw new Error('socket closed');
  };
  x.d.queueChange('written', 'a.example');
  await time.advance(25);
  const [e] = x.events.of('delivered');
  assert.equal(e?.ok, false);
  assert.match(e?.detail ?? '', /socket closed/);
  assert.equal(x.states.get('a.example')?.deliveryPending, true);
});
