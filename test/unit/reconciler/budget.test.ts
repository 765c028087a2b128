import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderBudget } from '../../../src/reconciler/budget.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { AccountState } from '../../../src/domain/types.js';
import { MemStore, T0 } from '../../support/fakes.js';

const CA = 'https://ca.test/directory';
const OTHER = 'https://other.test/directory';
const HOUR = 3600_000;

function budget(limit: number, store = new MemStore()) {
  let now = T0;
  const b = new OrderBudget({ limit, store, log: silentLogger(), now: () => now });
  return {
    b,
    store,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('reserve spends the budget of a CA within 3 hours, then frees it', () => {
  const { b, advance } = budget(2);
  assert.equal(b.enabled, true);
  assert.ok(b.reserve(CA));
  advance(HOUR);
  assert.ok(b.reserve(CA));
  assert.equal(b.reserve(CA), undefined, 'spent');
  assert.equal(b.nextFreeAt(CA), T0 + 3 * HOUR);
  assert.ok(b.reserve(OTHER), 'each CA has its own budget');
  advance(2 * HOUR + 1);
  assert.ok(b.reserve(CA), 'the first order left the window');
});

test('a charge is on disk before commit resolves; a release gives the place back and removes it', async () => {
  const { b, store } = budget(2);
  const charges = (): readonly string[] | undefined => store.account?.cas?.[CA]?.newOrders;
  const r = b.reserve(CA)!;
  assert.equal(charges(), undefined, 'a reservation alone is not written (nothing was sent)');
  await b.commit(r);
  assert.deepEqual(charges(), [new Date(T0).toISOString()], 'written before newOrder goes');
  await b.commit(r);
  assert.equal(charges()?.length, 1, 'commit is idempotent (a retried newOrder)');
  await b.release(r);
  assert.deepEqual(charges(), [], 'the CA never accepted it: not charged');
  assert.ok(b.reserve(CA) && b.reserve(CA), 'both places free again');
});

test('commits are written one after the other: a later charge is never overwritten by an earlier write', async () => {
  const store = new MemStore();
  const written: number[] = [];
  let calls = 0;
  // The first write is slow: written concurrently, the second (holding both charges) would land first
  // and the first (holding one) would overwrite it — a lost charge.
  store.writeAccountState = async (s: AccountState) => {
    const slow = ++calls === 1;
    await new Promise((r) => setTimeout(r, slow ? 30 : 0));
    written.push(s.cas?.[CA]?.newOrders.length ?? 0);
    store.account = s;
  };
  const { b } = budget(5, store);
  const first = b.commit(b.reserve(CA)!);
  await new Promise((r) => setTimeout(r, 5));
  const second = b.commit(b.reserve(CA)!);
  await Promise.all([first, second]);
  assert.deepEqual(written, [1, 2], 'the second write waited for the first');
  assert.equal(store.account?.cas?.[CA]?.newOrders.length, 2);
});

test('a charge that cannot be written fails the commit (the order is then not sent)', async () => {
  const store = new MemStore();
  store.broken = 'ENOSPC';
  const { b } = budget(1, store);
  const r = b.reserve(CA)!;
  await assert.rejects(b.commit(r), { code: 'ENOSPC' });
  await b.release(r);
  assert.ok(b.reserve(CA), 'the place is free again');
});

test('no budget: disabled', () => {
  assert.equal(budget(0).b.enabled, false);
});

test('the per-CA shape is written, keeping the entries of other CAs', async () => {
  const store = new MemStore();
  store.account = { cas: { [OTHER]: { newOrders: ['2026-11-22T11:00:00.000Z'], extra: 1 } as never } };
  const { b } = budget(5, store);
  await b.restore(CA);
  await b.commit(b.reserve(CA)!);
  assert.deepEqual(store.account, {
    cas: {
      [OTHER]: { newOrders: ['2026-11-22T11:00:00.000Z'], extra: 1 },
      [CA]: { newOrders: [new Date(T0).toISOString()] },
    },
  });
});

const restoreCases: Array<{ name: string; account: AccountState | null; left: number }> = [
  {
    name: "1.0 shape: read as the configured CA's",
    account: { newOrders: [new Date(T0 - HOUR).toISOString(), new Date(T0 - 4 * HOUR).toISOString()] },
    left: 1,
  },
  {
    name: 'per-CA shape: the entry of the CA wins over the 1.0 field',
    account: { newOrders: [], cas: { [CA]: { newOrders: [new Date(T0 - HOUR).toISOString()] } } },
    left: 1,
  },
  {
    name: 'another CA only: a fresh budget',
    account: { cas: { [OTHER]: { newOrders: [new Date(T0).toISOString()] } } },
    left: 2,
  },
  { name: 'no record', account: null, left: 2 },
];
for (const c of restoreCases)
  test(`restore: ${c.name}`, async () => {
    const store = new MemStore();
    store.account = c.account;
    const { b } = budget(2, store);
    await b.restore(CA);
    let taken = 0;
    while (b.reserve(CA)) taken++;
    assert.equal(taken, c.left);
  });
