import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChallengeStore } from '../../../src/domain/contracts.js';
import { Http01Solver } from '../../../src/solvers/http01.js';
import { MemoryChallengeStore } from '../../../src/solvers/memory-challenge-store.js';

const challenge = { type: 'http-01' as const, identifier: 'a.example', token: 'tok', keyAuthorization: 'tok.thumb' };
const signal = (): AbortSignal => new AbortController().signal;

test('Http01Solver keeps an answer until every presenter cleaned up', async () => {
  const s = new Http01Solver();
  await s.present(challenge, signal());
  await s.present(challenge, signal());
  assert.equal(await s.lookup('tok'), 'tok.thumb');
  await s.cleanUp(challenge);
  assert.equal(await s.lookup('tok'), 'tok.thumb');
  await s.cleanUp(challenge);
  assert.equal(await s.lookup('tok'), undefined);
  await s.cleanUp(challenge); // idempotent
  assert.equal(s.size, 0);
});

test('Http01Solver: answers live in the ChallengeStore, where any reader of the store finds them', async () => {
  const store = new MemoryChallengeStore();
  const s = new Http01Solver(store);
  await s.present(challenge, signal());
  assert.equal(await store.lookup('tok'), 'tok.thumb', 'the HTTP server reads the store, not the solver');
  await s.cleanUp(challenge);
  assert.equal(store.size, 0);
});

test('Http01Solver: present resolves only once the store serves the answer, for every presenter', async () => {
  let release!: () => void;
  const calls: string[] = [];
  const slow: ChallengeStore = {
    present: (token) => {
      calls.push(`present ${token}`);
      return new Promise<void>((r) => {
        release = r;
      });
    },
    lookup: async () => undefined,
    cleanUp: async (token) => {
      calls.push(`cleanUp ${token}`);
    },
  };
  const s = new Http01Solver(slow);
  const order: string[] = [];
  const first = s.present(challenge, signal()).then(() => order.push('first'));
  const second = s.present(challenge, signal()).then(() => order.push('second'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'neither resolves before the store has the answer');
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first', 'second']);
  await s.cleanUp(challenge);
  await s.cleanUp(challenge);
  assert.deepEqual(calls, ['present tok', 'cleanUp tok'], 'the store sees one present and one cleanUp');
});

test('Http01Solver: a present the store rejects is forgotten, so the next order of the token asks again', async () => {
  let fail = true;
  const store = new MemoryChallengeStore();
  const flaky = {
    present: async (token: string, keyAuthorization: string) => {
      if (fail) throw new Error('store down');
      await store.present(token, keyAuthorization);
    },
    lookup: (token: string) => store.lookup(token),
    cleanUp: (token: string) => store.cleanUp(token),
  };
  const s = new Http01Solver(flaky);
  await assert.rejects(s.present(challenge, signal()), /store down/);
  await s.cleanUp(challenge);
  assert.equal(s.size, 0);
  fail = false;
  await s.present(challenge, signal());
  assert.equal(await s.lookup('tok'), 'tok.thumb');
});
