/** src/store/account-files.ts, through FileStore: client.key and account-state.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mode, tempStore } from '../../support/temp-store.js';

test('account key: null when absent, written 0600 atomically', async (t) => {
  const { dir, store } = await tempStore(t, { fileMode: 0o640 });
  await store.init();
  assert.equal(await store.readAccountKey(), null);
  await store.writeAccountKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----');
  assert.equal(await store.readAccountKey(), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  assert.equal(await mode(join(dir, 'client.key')), 0o600, 'client.key is 0600 whatever fileMode is');
  assert.equal(await mode(join(dir, 'default.pem')), 0o640, 'fileMode applies to bundles and default.pem');
  await store.checkWritable();
});

test('account state: absent is null, atomic 0600 round trip', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  assert.equal(await store.readAccountState(), null);
  const state = { newOrders: ['2026-11-22T12:00:00.000Z', '2026-11-22T12:01:00.000Z'] };
  await store.writeAccountState(state);
  assert.deepEqual(await store.readAccountState(), state);
  assert.equal(await mode(join(dir, 'account-state.json')), 0o600);
  assert.equal((await store.loadStates()).size, 0, 'not mistaken for a certificate record');
});

const tolerated = [
  { name: 'a file that is not JSON is read as absent', text: '{not json', expected: null },
  {
    name: 'entries that are not dates are dropped',
    text: JSON.stringify({ newOrders: ['bogus', 5, '2026-11-22T12:00:00.000Z'] }),
    expected: { newOrders: ['2026-11-22T12:00:00.000Z'] },
  },
  { name: 'an empty record has no orders', text: '{}', expected: {} },
];
for (const c of tolerated) {
  test(`account state: ${c.name}`, async (t) => {
    const { dir, store } = await tempStore(t);
    await store.init();
    await writeFile(join(dir, 'account-state.json'), c.text);
    assert.deepEqual(await store.readAccountState(), c.expected);
  });
}

test("a further CA's account key: accounts/<host>-<hash>/client.key, 0600 in a 0700 directory, outside certs/", async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const b = store.caAccountKey('https://ca-b.example:8443/dir');
  const c = store.caAccountKey('https://ca-c.example/dir');
  assert.match(b.path, /\/accounts\/ca-b\.example_8443-[0-9a-f]{12}\/client\.key$/);
  assert.ok(b.path.startsWith(join(dir, 'accounts')));
  assert.notEqual(b.path, c.path);
  assert.equal(await b.read(), null);
  await b.write('-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----');
  assert.equal(await b.read(), '-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n');
  assert.equal(await mode(b.path), 0o600);
  assert.equal(await mode(join(b.path, '..')), 0o700);
  assert.equal(await c.read(), null, 'each CA its own key');
  assert.equal(await store.readAccountKey(), null, 'client.key (CA 0) untouched');
  // The same URL finds the same key again (named by URL, not position).
  assert.equal(await store.caAccountKey('https://ca-b.example:8443/dir').read(), await b.read());
});
