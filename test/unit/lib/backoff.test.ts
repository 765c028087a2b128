import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, type BackoffPolicy } from '../../../src/lib/backoff.js';

const policy: BackoffPolicy = { baseMs: 1000, capMs: 60_000, factor: 2, jitter: 0.5 };

test('backoffDelay grows exponentially, is capped, and never reaches zero', async (t) => {
  const cases: Array<{ name: string; policy: BackoffPolicy; attempt: number; random: number; want: number }> = [
    { name: 'first attempt, no jitter drawn', policy, attempt: 1, random: 0, want: 1000 },
    { name: 'first attempt, max jitter', policy, attempt: 1, random: 0.999999, want: 500 },
    { name: 'third attempt', policy, attempt: 3, random: 0, want: 4000 },
    { name: 'capped', policy, attempt: 20, random: 0, want: 60_000 },
    { name: 'capped with jitter', policy, attempt: 20, random: 0.5, want: 45_000 },
    { name: 'attempt 0 treated as 1', policy, attempt: 0, random: 0, want: 1000 },
    { name: 'floor of 1 ms, never 0', policy: { ...policy, jitter: 1 }, attempt: 1, random: 0.9999999, want: 1 },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.equal(backoffDelay(c.policy, c.attempt, c.random), c.want));
  }
});
