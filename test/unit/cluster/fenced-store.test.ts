/** The fenced storage: every write asks the fence first and, refused, touches nothing; reads never ask. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fencedStore } from '../../../src/cluster/fenced-store.js';
import type { Store } from '../../../src/domain/contracts.js';

const calls: string[] = [];
const inner = new Proxy({} as Record<string, unknown>, {
  get: (_t, name: string) => async () => {
    calls.push(name);
    return name.startsWith('read') || name === 'list' || name === 'loadStates' ? null : undefined;
  },
}) as unknown as Store;

const writes: Array<[string, (s: Store) => Promise<unknown>]> = [
  ['writeAccountKey', (s) => s.writeAccountKey('pem')],
  [
    'install',
    (s) => s.install({ name: 'a', names: ['a'], requestedBy: [] }, { keyPem: '', certPem: '', chainPem: '' }),
  ],
  ['archive', (s) => s.archive('a')],
  ['saveState', (s) => s.saveState('a', null)],
  ['writeAccountState', (s) => s.writeAccountState({} as never)],
  [
    'keepIssued',
    (s) => s.keepIssued!({ name: 'a', names: ['a'], requestedBy: [] }, { keyPem: '', certPem: '', chainPem: '' }),
  ],
  ['dropKept', (s) => s.dropKept!('a')],
  ['writePendingOrder', (s) => s.writePendingOrder!('a', null)],
];
const reads: Array<[string, (s: Store) => Promise<unknown>]> = [
  ['readAccountKey', (s) => s.readAccountKey()],
  ['list', (s) => s.list()],
  ['loadStates', (s) => s.loadStates()],
  ['readAccountState', (s) => s.readAccountState()],
  ['checkWritable', (s) => s.checkWritable()],
  ['readPendingOrder', (s) => s.readPendingOrder!('a')],
  ['readLeafPem', (s) => s.readLeafPem('a', '0a')],
];

for (const [name, call] of writes) {
  test(`fencedStore: ${name} is refused when the fence says no, done when it says yes`, async () => {
    calls.length = 0;
    let leading = false;
    const store = fencedStore(inner, (action) => {
      if (!leading) throw Object.assign(new Error(`refused ${action}`), { code: 'NOT_LEADER' });
    });
    await assert.rejects(call(store), (err: { code?: string }) => err.code === 'NOT_LEADER');
    assert.deepEqual(calls, [], 'nothing reached the storage');
    leading = true;
    await call(store);
    assert.deepEqual(calls, [name]);
  });
}

for (const [name, call] of reads) {
  test(`fencedStore: ${name} never asks the fence`, async () => {
    calls.length = 0;
    const store = fencedStore(inner, () => assert.fail('a read asked the fence'));
    await call(store);
    assert.deepEqual(calls, [name]);
  });
}
