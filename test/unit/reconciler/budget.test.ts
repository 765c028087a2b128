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

test('take spends the budget of a CA within 3 hours, then frees it', () => {
  const { b, advance } = budget(2);
  assert.equal(b.enabled, true);
  assert.equal(b.take(CA), true);
  advance(HOUR);
  assert.equal(b.take(CA), true);
  assert.equal(b.take(CA), false, 'spent');
  assert.equal(b.nextFreeAt(CA), T0 + 3 * HOUR);
  assert.equal(b.take(OTHER), true, 'each CA has its own budget');
  advance(2 * HOUR + 1);
  assert.equal(b.take(CA), true, 'the first order left the window');
});

test('no budget: disabled', () => {
  assert.equal(budget(0).b.enabled, false);
});

test('the per-CA shape is written, keeping the entries of other CAs', async () => {
  const store = new MemStore();
  store.account = { cas: { [OTHER]: { newOrders: ['2026-11-22T11:00:00.000Z'], extra: 1 } as never } };
  const { b } = budget(5, store);
  await b.restore(CA);
  b.take(CA);
  await new Promise((r) => setImmediate(r));
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
    while (b.take(CA)) taken++;
    assert.equal(taken, c.left);
  });
