/** FileStore.readLeafPem: the leaf of an installed bundle, read on demand for a revocation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertFactory } from '../../support/cert-factory.js';
import { spec, tempStore } from '../../support/temp-store.js';

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber.toLowerCase();

test('readLeafPem: the installed leaf while the file holds that serial; undefined otherwise', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const a = await ca.issue(['a.example.test']);
  const wild = await ca.issue(['*.w.example.test']);
  const other = await ca.issue(['a.example.test']);
  const installed = await store.install(spec('a.example.test'), a);
  await store.install(spec('*.w.example.test'), wild);
  await writeFile(join(dir, 'certs', 'junk.example.test.pem'), 'not a bundle\n');
  const cases: Array<{ name: string; cert: string; serial: string; want: string | undefined }> = [
    { name: 'the installed certificate', cert: 'a.example.test', serial: installed.serial, want: a.certPem },
    {
      name: 'a wildcard, from _.<base>.pem',
      cert: '*.w.example.test',
      serial: serialOf(wild.certPem),
      want: wild.certPem,
    },
    {
      name: 'another serial (the file was replaced)',
      cert: 'a.example.test',
      serial: serialOf(other.certPem),
      want: undefined,
    },
    { name: 'no file', cert: 'b.example.test', serial: installed.serial, want: undefined },
    { name: 'a file that is not a bundle', cert: 'junk.example.test', serial: installed.serial, want: undefined },
  ];
  for (const c of cases) assert.equal(await store.readLeafPem(c.cert, c.serial), c.want, c.name);
  await store.archive('a.example.test');
  assert.equal(await store.readLeafPem('a.example.test', installed.serial), undefined, 'archived');
});

test('readLeafPem: INVALID_NAME for an unsafe name; a read that fails otherwise rejects with its errno', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  for (const bad of ['../x', 'a/b', '.hidden', ''])
    await assert.rejects(store.readLeafPem(bad, '01'), { code: 'INVALID_NAME' }, JSON.stringify(bad));
  await mkdir(join(dir, 'certs', 'dir.example.test.pem'));
  await assert.rejects(store.readLeafPem('dir.example.test', '01'), { code: 'EISDIR' });
  await rm(join(dir, 'certs', 'dir.example.test.pem'), { recursive: true });
});
