import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../../src/events/bus.js';
import type { LifecycleEvent } from '../../../src/domain/events.js';

const removed = (name: string) => ({ type: 'removed', name, at: '2026-11-22T12:00:00.000Z', reason: 'r' }) as const;

test('every subscriber gets each event synchronously, in subscription order, with a growing id', () => {
  const bus = new EventBus();
  const seen: string[] = [];
  const ids: number[] = [];
  bus.subscribe((e) => seen.push(`1:${e.name}`));
  bus.subscribe((e) => {
    seen.push(`2:${e.name}`);
    ids.push(e.id);
  });
  bus.emit(removed('a.example'));
  assert.deepEqual(seen, ['1:a.example', '2:a.example'], 'delivered before emit returned');
  bus.emit(removed('b.example'));
  assert.equal(ids.length, 2);
  assert.ok(ids[1]! > ids[0]!);
});

test('ids are monotonic across buses of one process', () => {
  const ids: number[] = [];
  const a = new EventBus();
  const b = new EventBus();
  a.subscribe((e) => ids.push(e.id));
  b.subscribe((e) => ids.push(e.id));
  a.emit(removed('x'));
  b.emit(removed('x'));
  a.emit(removed('x'));
  assert.deepEqual(
    ids,
    [...ids].sort((x, y) => x - y),
  );
  assert.equal(new Set(ids).size, 3);
});

test('a throwing subscriber breaks neither the emitter nor the others, and is reported', () => {
  const errors: Array<[unknown, LifecycleEvent]> = [];
  const bus = new EventBus({ onError: (err, e) => errors.push([err, e]) });
  const seen: string[] = [];
  bus.subscribe(() => {
    throw new Error('boom');
  });
  bus.subscribe((e) => seen.push(e.name));
  assert.doesNotThrow(() => bus.emit(removed('a.example')));
  assert.deepEqual(seen, ['a.example']);
  assert.equal(errors.length, 1);
  assert.equal((errors[0]![0] as Error).message, 'boom');
  assert.equal(errors[0]![1].name, 'a.example');
});

test('a throwing error reporter is contained too', () => {
  const bus = new EventBus({
    onError: () => {
      throw new Error('reporter down');
    },
  });
  bus.subscribe(() => {
    throw new Error('boom');
  });
  assert.doesNotThrow(() => bus.emit(removed('a.example')));
});

test('unsubscribe stops delivery, is idempotent, and takes effect from the next emit', () => {
  const bus = new EventBus();
  const seen: string[] = [];
  let off2: () => void = () => undefined;
  const off1 = bus.subscribe((e) => {
    seen.push(`1:${e.name}`);
    off2();
  });
  off2 = bus.subscribe((e) => seen.push(`2:${e.name}`));
  bus.emit(removed('a'));
  assert.deepEqual(seen, ['1:a', '2:a'], 'removed during an emit: still called for that emit');
  bus.emit(removed('b'));
  assert.deepEqual(seen, ['1:a', '2:a', '1:b']);
  off1();
  off1();
  bus.emit(removed('c'));
  assert.deepEqual(seen, ['1:a', '2:a', '1:b']);
});

test('the same function subscribed twice is called twice and unsubscribed one at a time', () => {
  const bus = new EventBus();
  let calls = 0;
  const fn = () => {
    calls++;
  };
  const off = bus.subscribe(fn);
  bus.subscribe(fn);
  bus.emit(removed('a'));
  assert.equal(calls, 2);
  off();
  bus.emit(removed('a'));
  assert.equal(calls, 3);
});
