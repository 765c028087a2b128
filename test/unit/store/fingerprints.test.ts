import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintOf, scanKnownBundles } from '../../../src/store/fingerprints.js';
import { createCertFactory } from '../../support/cert-factory.js';
import { makeTempDir } from '../../support/temp-dirs.js';

test('scanKnownBundles: what is on disk now, whatever it knew; a rescan of unchanged files gives the same', async (t) => {
  const ca = await createCertFactory();
  const bundle = async (name: string) => {
    const c = await ca.issue([name]);
    return c.keyPem + c.certPem + c.chainPem;
  };
  const dir = join(makeTempDir('fingerprints-'), 'certs');
  mkdirSync(dir);
  const texts = new Map<string, string>();
  for (const n of ['a.example', 'b.example', 'c.example']) {
    texts.set(n, await bundle(n));
    writeFileSync(join(dir, `${n}.pem`), texts.get(n)!);
  }
  writeFileSync(join(dir, 'foreign.pem'), 'not a bundle');
  const shas = (m: Map<string, { sha256: string }>) => Object.fromEntries([...m].map(([n, k]) => [n, k.sha256]));
  const want = () => Object.fromEntries([...texts].map(([n, text]) => [n, fingerprintOf(text)]));

  let known = await scanKnownBundles(dir, new Map());
  await t.test('the first scan: our bundles, no foreign file', () => assert.deepEqual(shas(known), want()));

  await t.test('nothing changed: the same entries', async () => {
    const again = await scanKnownBundles(dir, known);
    assert.deepEqual(again, known);
  });

  await t.test('a bundle replaced by rename, one rewritten in place, one removed', async () => {
    texts.set('a.example', await bundle('a.example'));
    writeFileSync(join(dir, '.a.tmp'), texts.get('a.example')!);
    renameSync(join(dir, '.a.tmp'), join(dir, 'a.example.pem'));
    texts.set('b.example', await bundle('b.example'));
    writeFileSync(join(dir, 'b.example.pem'), texts.get('b.example')!);
    rmSync(join(dir, 'c.example.pem'));
    texts.delete('c.example');
    known = await scanKnownBundles(dir, known);
    assert.deepEqual(shas(known), want());
  });

  await t.test('a known file that became foreign is dropped', async () => {
    writeFileSync(join(dir, 'b.example.pem'), 'broken now');
    texts.delete('b.example');
    known = await scanKnownBundles(dir, known);
    assert.deepEqual(shas(known), want());
  });

  await t.test('reread: every file read again, the same answer as a fresh scan', async () => {
    assert.deepEqual(
      shas(await scanKnownBundles(dir, known, { reread: true })),
      shas(await scanKnownBundles(dir, new Map())),
    );
  });

  await t.test('a directory that cannot be read rejects', async () => {
    await assert.rejects(scanKnownBundles(join(dir, 'missing'), known));
  });
});
