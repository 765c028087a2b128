import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingWindow } from '../../../src/lib/sliding-window.js';

test('SlidingWindow counts events in the window and says when the next fits', () => {
  const w = new SlidingWindow(2, 1000);
  assert.equal(w.available(0), true);
  w.record(0);
  w.record(100);
  assert.equal(w.available(500), false);
  assert.equal(w.nextFreeAt(500), 1000);
  assert.equal(w.available(1000), true, 'the first event left the window');
  assert.equal(w.used(1100), 0);
  assert.equal(new SlidingWindow(0, 1000).available(0), false, 'a zero budget never admits');
});

test('SlidingWindow restores events recorded before a restart', () => {
  const w = new SlidingWindow(2, 1000);
  w.restore([500, 100]);
  assert.deepEqual(w.times(600), [100, 500]);
  assert.equal(w.available(600), false);
  assert.equal(w.nextFreeAt(600), 1100);
});
