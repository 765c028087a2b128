/** `orders/<name>.json`: written atomically with mode 0600 (the key is inside), read back, forgotten; bad files read as none. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../src/lib/logger.js';
import { FileStore } from '../../../src/store/file-store.js';

test('pending orders: round trip, 0600, delete idempotent, malformed or foreign files are none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pending-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new FileStore({ dir, logger: silentLogger() });
  await store.init();
  assert.equal(await store.readPendingOrder('a.example'), null);
  const order = {
    orderUrl: 'https://ca/order/1',
    keyPem: '-----BEGIN PRIVATE KEY-----\nx\n',
    names: ['a.example', 'b.example'],
  };
  await store.writePendingOrder('a.example', order);
  assert.deepEqual(await store.readPendingOrder('a.example'), order);
  assert.equal((await stat(join(dir, 'orders', 'a.example.json'))).mode & 0o777, 0o600);
  await store.writePendingOrder('a.example', null);
  await store.writePendingOrder('a.example', null);
  assert.equal(await store.readPendingOrder('a.example'), null);
  await writeFile(join(dir, 'orders', 'c.example.json'), '{not json');
  assert.equal(await store.readPendingOrder('c.example'), null);
  await writeFile(join(dir, 'orders', 'd.example.json'), JSON.stringify({ ...order, name: 'other.example' }));
  assert.equal(await store.readPendingOrder('d.example'), null, 'a file whose name inside differs is not used');
});
