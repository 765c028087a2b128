/** src/store/listing.ts, through FileStore.list(): what counts as our bundle in certs/, and what is left alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertFactory } from '../../support/cert-factory.js';
import { spec, tempStore } from '../../support/temp-store.js';

test('list: managed bundles with leaf expiry, Python-written bundles adopted, everything else unmanaged and untouched', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const ours = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), ours);
  // 0.6.1 wrote PKCS#1 RSA keys, same order (key, leaf, chain), no mode
  const py = await ca.issue(['py.example.test'], { keyType: 'rsa2048' });
  const pkcs1 = createPrivateKey(py.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
  await writeFile(join(dir, 'certs', 'py.example.test.pem'), pkcs1 + py.certPem + py.chainPem, { mode: 0o644 });
  const junk: Record<string, string> = {
    'junk.pem': 'not a pem\n',
    'half.pem': (ours.keyPem + ours.certPem).slice(0, 300),
    'mismatch.pem': py.keyPem + ours.certPem,
    'notes.txt': 'hello',
    'x.example.pem.new': ours.keyPem + ours.certPem,
  };
  for (const [f, body] of Object.entries(junk)) await writeFile(join(dir, 'certs', f), body);
  await mkdir(join(dir, 'certs', 'dir.pem'));
  await symlink(join(dir, 'certs', 'a.example.test.pem'), join(dir, 'certs', 'link.pem'));
  const { certs, unmanaged } = await store.list();
  assert.deepEqual(
    certs.map((c) => c.name),
    ['a.example.test', 'py.example.test'],
  );
  assert.equal(certs[1]!.keyType, 'rsa2048');
  assert.deepEqual(unmanaged, [
    'dir.pem',
    'half.pem',
    'junk.pem',
    'link.pem',
    'mismatch.pem',
    'notes.txt',
    'x.example.pem.new',
  ]);
  for (const [f, body] of Object.entries(junk)) assert.equal(await readFile(join(dir, 'certs', f), 'utf8'), body, f);
});

test('list: more bundles than are read at once are all listed, sorted', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const cert = await ca.issue(['many.example.test']);
  const names = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, '0')}`);
  // Same bundle under other file names: each is still one key matching its leaf.
  for (const n of names) await writeFile(join(dir, 'certs', `${n}.pem`), cert.keyPem + cert.certPem + cert.chainPem);
  const { certs, unmanaged } = await store.list();
  assert.deepEqual(
    certs.map((c) => c.name),
    names,
  );
  assert.deepEqual(unmanaged, []);
});
