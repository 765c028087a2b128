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
    debounceMs: 1000,
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

test('while orders run, a batch goes one window after its FIRST change, whatever is still in flight', async (t) => {
  // Before: the batch waited until no order was in flight (up to 30 s), so the first of 100 new
  // certificates was served only when the last one was.
  const time = new VirtualTime(t);
  const x = delivery(time, { orders: true });
  x.d.queueChange('written', 'a.example');
  await time.advance(600, 100);
  x.d.queueChange('removed', 'c.example');
  await time.advance(300, 100);
  assert.equal(x.notifier.calls.length, 0, 'the batch is still collecting');
  x.d.queueChange('written', 'b.example');
  await time.advance(200, 50);
  assert.deepEqual(
    x.notifier.calls,
    [{ written: ['a.example', 'b.example'], removed: ['c.example'] }],
    'one notification for the batch, 1 s after its first change (later changes never delay it)',
  );
  assert.deepEqual(
    x.events.of('delivered').map((e) => e.name),
    ['a.example', 'b.example', 'c.example'],
  );
  x.d.queueChange('written', 'd.example');
  await time.advance(900, 100);
  assert.equal(x.notifier.calls.length, 1, 'the next batch collects for its own window');
  await time.advance(200, 100);
  assert.deepEqual(x.notifier.calls[1], { written: ['d.example'], removed: [] });
});

test('stop sends what is pending (a written certificate is always announced)', async (t) => {
  const time = new VirtualTime(t);
  const x = delivery(time, { orders: true });
  x.d.queueChange('written', 'a.example');
  await time.settle(x.d.stop(), 'stopped');
  assert.deepEqual(x.notifier.calls, [{ written: ['a.example'], removed: [] }]);
  await time.advance(2000, 500);
  assert.equal(x.notifier.calls.length, 1, 'and nothing twice');
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
