import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryChallengeStore } from '../../../src/solvers/memory-challenge-store.js';

test('MemoryChallengeStore: present and cleanUp are idempotent; lookup of an unknown token is undefined', async () => {
  const s = new MemoryChallengeStore();
  assert.equal(await s.lookup('nope'), undefined);
  await s.present('tok', 'tok.thumb');
  await s.present('tok', 'tok.thumb');
  assert.equal(await s.lookup('tok'), 'tok.thumb');
  assert.equal(s.size, 1);
  await s.cleanUp('tok');
  await s.cleanUp('tok');
  await s.cleanUp('never-presented');
  assert.equal(await s.lookup('tok'), undefined);
  assert.equal(s.size, 0);
});
