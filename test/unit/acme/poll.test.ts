/** src/acme/poll.ts: the delays between polls of an order or authorization. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextDelay } from '../../../src/acme/poll.js';

describe('polling delays', () => {
  const o = { initialMs: 20, maxMs: 1000 };
  const now = 1_000_000;
  it('starts short and grows to the ceiling without Retry-After', () => {
    assert.equal(nextDelay(0, undefined, o), 20);
    assert.equal(nextDelay(1, undefined, o), 30);
    assert.equal(nextDelay(20, undefined, o), 1000);
  });
  it('honours a Retry-After longer than the backoff step', () => {
    assert.equal(nextDelay(0, new Date(now + 3000), o, now), 3000);
  });
  // Retry-After is a minimum, not a replacement.
  for (const offsetMs of [0, -3000, 5]) {
    it(`keeps growing when Retry-After is ${offsetMs} ms from now`, () => {
      const delays = [0, 1, 2, 3, 20].map((step) => nextDelay(step, new Date(now + offsetMs), o, now));
      assert.deepEqual(delays, [20, 30, 45, 67.5, 1000]);
    });
  }
  it('uses the growing step when it exceeds a short Retry-After', () => {
    assert.equal(nextDelay(10, new Date(now + 100), o, now), Math.min(1000, 20 * 1.5 ** 10));
  });
});
