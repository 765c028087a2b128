import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Http01Solver } from '../../../src/lib/http01-solver.js';

test('Http01Solver keeps an answer until every presenter cleaned up', async () => {
  const s = new Http01Solver();
  const c = { type: 'http-01' as const, identifier: 'a.example', token: 'tok', keyAuthorization: 'tok.thumb' };
  await s.present(c, new AbortController().signal);
  await s.present(c, new AbortController().signal);
  assert.equal(s.lookup('tok'), 'tok.thumb');
  await s.cleanUp(c);
  assert.equal(s.lookup('tok'), 'tok.thumb');
  await s.cleanUp(c);
  assert.equal(s.lookup('tok'), undefined);
  await s.cleanUp(c); // idempotent
  assert.equal(s.size, 0);
});
