import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertState } from '../../../src/domain/types.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FileStore } from '../../../src/store/file-store.js';
import { stateFromCert } from '../../../src/domain/policy.js';
import { readLeaf } from '../../../src/pki/x509.js';
import { MAX_CERT_NAME_LENGTH } from '../../../src/domain/name-rules.js';
import { tempName } from '../../../src/store/durable.js';
import { createCertFactory } from '../../support/cert-factory.js';
import { mode, spec, tempStore } from '../../support/temp-store.js';

const logger = silentLogger();

test('init refuses a missing storage directory with STORAGE_DIR_MISSING', async () => {
  const store = new FileStore({ dir: join(tmpdir(), `does-not-exist-${process.pid}`), logger });
  await assert.rejects(store.init(), { code: 'STORAGE_DIR_MISSING' });
});

test('init creates the 0.6.1 layout, is idempotent, and never touches an existing default.pem', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const entries = (await readdir(dir)).sort();
  assert.deepEqual(entries, ['.staging', 'certs', 'default.pem', 'state', 'unmanaged-certs']);
  assert.deepEqual(await readdir(join(dir, 'certs')), []);
  assert.deepEqual(await readdir(join(dir, 'unmanaged-certs')), []);
  const first = await readFile(join(dir, 'default.pem'), 'utf8');
  assert.match(
    first,
    /^-----BEGIN PRIVATE KEY-----\n[\s\S]*-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/,
  );
  assert.equal(await mode(join(dir, 'default.pem')), 0o600);
  assert.equal(await mode(join(dir, 'certs')), 0o755);
  const leaf = readLeaf(first.slice(first.indexOf('-----BEGIN CERTIFICATE-----')));
  assert.equal(new X509Certificate(first.slice(first.indexOf('-----BEGIN CERTIFICATE-----'))).subject, 'CN=*');
  assert.equal(leaf.issuer, 'CN=*');
  assert.ok(leaf.selfSigned);
  assert.ok(
    Math.abs(leaf.notAfter.getTime() - leaf.notBefore.getTime() - 3651 * 86_400_000) < 10_000,
    'now-1d .. now+3650d',
  );
  const st = await stat(join(dir, 'default.pem'));
  await store.init();
  assert.equal(await readFile(join(dir, 'default.pem'), 'utf8'), first, 'not regenerated');
  assert.equal((await stat(join(dir, 'default.pem'))).ino, st.ino, 'not replaced');
  // an operator's own default.pem (even garbage) is never read or replaced
  await writeFile(join(dir, 'default.pem'), 'operator file\n');
  await store.init();
  assert.equal(await readFile(join(dir, 'default.pem'), 'utf8'), 'operator file\n');
  assert.deepEqual((await readdir(dir)).sort(), entries);
});

test('init removes stale temp files of dead writers from .staging', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const dead = tempName(join(dir, 'certs', 'a.example.pem'), 999_999_999);
  const live = tempName(join(dir, 'certs', 'a.example.pem'), 1); // pid 1 is alive
  await writeFile(join(dir, '.staging', dead), 'partial');
  await writeFile(join(dir, '.staging', live), 'partial');
  await store.init();
  assert.deepEqual(await readdir(join(dir, '.staging')), [live]);
  // fixed length, whatever the target's name; no host name, no base name in clear
  assert.match(live, /^\.[0-9a-f]{16}\.[0-9a-f]{8}\.1\.[0-9a-f]{12}\.tmp$/);
  assert.equal(tempName(join(dir, 'certs', `${'x'.repeat(251)}.pem`), 1).length, live.length);
});

test('a 251-character name (MAX_CERT_NAME_LENGTH) is installed, recorded, listed and archived; 252 is refused', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  // DNS labels are at most 63 characters: 4 labels of 62 + 3 dots = 251
  const name = ['a', 'b', 'c', 'd'].map((c) => c.repeat(62)).join('.');
  assert.equal(name.length, MAX_CERT_NAME_LENGTH);
  const cert = await ca.issue([name], { cn: 'a CN is at most 64 characters' });
  const stored = await store.install(spec(name, [name]), cert);
  assert.deepEqual(stored.names, [name]);
  assert.deepEqual(await readdir(join(dir, 'certs')), [`${name}.pem`]);
  assert.deepEqual(await readdir(join(dir, '.staging')), []);
  assert.deepEqual(
    (await store.list()).certs.map((c) => c.name),
    [name],
  );
  const state: CertState = { name, names: [name], requestedBy: [{ source: 'static' }], failures: 0 };
  await store.saveState(name, state);
  const [stateFile] = await readdir(join(dir, 'state'));
  assert.ok(Buffer.byteLength(stateFile!) <= 255);
  assert.deepEqual((await store.loadStates()).get(name), state);
  await store.archive(name);
  assert.deepEqual(await readdir(join(dir, 'certs')), []);
  const archived = await readdir(join(dir, 'archive'));
  assert.equal(archived.length, 1);
  assert.ok(archived[0]!.length <= 255 && archived[0]!.startsWith(name.slice(0, 150)));
  assert.equal(await readFile(join(dir, 'archive', archived[0]!), 'utf8'), cert.keyPem + cert.certPem + cert.chainPem);
  // archiving the same name again in the same second gets another file
  await store.install(spec(name, [name]), cert);
  await store.archive(name);
  assert.equal(new Set(await readdir(join(dir, 'archive'))).size, 2);
  await store.saveState(name, null);
  assert.deepEqual(await readdir(join(dir, 'state')), []);
  await assert.rejects(store.install(spec(`x${name}`, [name]), cert), { code: 'INVALID_NAME' });
});

test('install writes key+leaf+chain with mode 0600, atomically, and rejects bad bundles keeping the old file', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const first = await ca.issue(['a.example.test', 'www.a.example.test']);
  const s = spec('a.example.test', ['a.example.test', 'www.a.example.test']);
  const stored = await store.install(s, first);
  const file = join(dir, 'certs', 'a.example.test.pem');
  assert.equal(await readFile(file, 'utf8'), first.keyPem + first.certPem + first.chainPem);
  assert.equal(await mode(file), 0o600);
  assert.deepEqual(stored.names, ['a.example.test', 'www.a.example.test']);
  assert.deepEqual(await readdir(join(dir, '.staging')), [], 'no temp file left');

  const wrongNames = await ca.issue(['b.example.test']);
  await assert.rejects(store.install(s, wrongNames), { code: 'BUNDLE_INVALID' });
  await assert.rejects(store.install(s, { ...first, keyPem: (await ca.issue(['x.test'])).keyPem }), {
    code: 'BUNDLE_INVALID',
  });
  await assert.rejects(store.install(s, { ...first, chainPem: first.chainPem.slice(0, 100) }), {
    code: 'BUNDLE_INVALID',
  });
  assert.equal(await readFile(file, 'utf8'), first.keyPem + first.certPem + first.chainPem, 'previous bundle stays');
  assert.deepEqual(await readdir(join(dir, 'certs')), ['a.example.test.pem']);

  const renewed = await ca.issue(['www.a.example.test', 'a.example.test']);
  const again = await store.install(s, renewed);
  assert.notEqual(again.serial, stored.serial);
  assert.equal(await readFile(file, 'utf8'), renewed.keyPem + renewed.certPem + renewed.chainPem);
});

test('names are validated again as file names (INVALID_NAME)', async (t) => {
  const { store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const c = await ca.issue(['a.example.test']);
  for (const bad of ['../x', 'a/b', '.hidden', '', 'a\u0000b', '..']) {
    await assert.rejects(
      store.install(spec(bad, ['a.example.test']), c),
      { code: 'INVALID_NAME' },
      JSON.stringify(bad),
    );
    await assert.rejects(store.archive(bad), { code: 'INVALID_NAME' });
    await assert.rejects(store.saveState(bad, null), { code: 'INVALID_NAME' });
  }
});

test('archive moves the bundle out of certs/ and is idempotent', async (t) => {
  const { dir, store } = await tempStore(t, { now: () => new Date('2026-11-22T10:00:00.000Z') });
  await store.init();
  const ca = await createCertFactory();
  const c = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), c);
  await store.archive('a.example.test');
  await store.archive('a.example.test');
  assert.deepEqual(await readdir(join(dir, 'certs')), []);
  assert.deepEqual(await readdir(join(dir, 'archive')), ['a.example.test.2026-11-22T10-00-00.000Z.pem']);
  await store.install(spec('a.example.test'), c);
  await store.archive('a.example.test');
  assert.deepEqual((await readdir(join(dir, 'archive'))).sort(), [
    'a.example.test.2026-11-22T10-00-00.000Z-1.pem',
    'a.example.test.2026-11-22T10-00-00.000Z.pem',
  ]);
  assert.equal(
    await readFile(join(dir, 'archive', 'a.example.test.2026-11-22T10-00-00.000Z.pem'), 'utf8'),
    c.keyPem + c.certPem + c.chainPem,
  );
});

test('archive across file systems (EXDEV: copy, fsync, unlink) leaves the complete bundle in the archive', async (t) => {
  // /dev/shm is a tmpfs: another file system than the temp directory, so link(2) fails with EXDEV
  const archiveDir = await mkdtemp(join('/dev/shm', 'store-archive-'));
  t.after(() => rm(archiveDir, { recursive: true, force: true }));
  const { dir, store } = await tempStore(t, {
    archiveDir: join(archiveDir, 'archive'),
    now: () => new Date('2026-11-22T10:00:00.000Z'),
  });
  await store.init();
  assert.notEqual((await stat(dir)).dev, (await stat(archiveDir)).dev, 'the archive is on another file system');
  const ca = await createCertFactory();
  const c = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), c);
  await store.archive('a.example.test');
  assert.deepEqual(await readdir(join(dir, 'certs')), []);
  assert.deepEqual(await readdir(join(archiveDir, 'archive')), ['a.example.test.2026-11-22T10-00-00.000Z.pem']);
  assert.equal(
    await readFile(join(archiveDir, 'archive', 'a.example.test.2026-11-22T10-00-00.000Z.pem'), 'utf8'),
    c.keyPem + c.certPem + c.chainPem,
  );
  await store.install(spec('a.example.test'), c);
  await store.archive('a.example.test');
  assert.equal((await readdir(join(archiveDir, 'archive'))).length, 2, 'never overwrites an archived copy');
});

test('install returns the StoredCert list() reads back, key type included, from its single check', async (t) => {
  const { store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const ec = await store.install(spec('ec.example.test'), await ca.issue(['ec.example.test']));
  const rsa = await store.install(
    spec('rsa.example.test', ['rsa.example.test', 'www.rsa.example.test']),
    await ca.issue(['rsa.example.test', 'www.rsa.example.test'], { keyType: 'rsa2048' }),
  );
  assert.equal(ec.keyType, 'ec256');
  assert.equal(rsa.keyType, 'rsa2048');
  assert.deepEqual((await store.list()).certs, [ec, rsa]);
});

test('checkWritable: a cheap probe that leaves nothing behind; STORAGE_NOT_WRITABLE when it cannot create a file', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  for (let i = 0; i < 3; i += 1) await store.checkWritable();
  assert.deepEqual(await readdir(join(dir, '.staging')), []);
  await rm(join(dir, '.staging'), { recursive: true });
  await assert.rejects(store.checkWritable(), {
    code: 'STORAGE_NOT_WRITABLE',
    message: 'the storage directory is not writable: ENOENT (a directory of the layout is missing)',
  });
  await store.init();
  await rm(join(dir, 'certs'), { recursive: true });
  await assert.rejects(store.checkWritable(), { code: 'STORAGE_NOT_WRITABLE' });
});

test('state: atomic round trip, deletion, corrupt records skipped, rebuild from the PEMs', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const state: CertState = {
    name: 'a.example.test',
    names: ['a.example.test'],
    requestedBy: [{ source: 'marathon', appId: '/web', portIndex: 0 }],
    failures: 2,
    lastError: { code: 'X', detail: 'd', at: new Date().toISOString() },
  };
  await store.saveState('a.example.test', state);
  assert.equal(await mode(join(dir, 'state', 'a.example.test.json')), 0o600);
  await writeFile(join(dir, 'state', 'bad.json'), '{"name": "bad", "names": [');
  await writeFile(join(dir, 'state', 'other.json'), JSON.stringify({ ...state, name: 'a.example.test' }));
  await writeFile(
    join(dir, 'state', 'shape.json'),
    JSON.stringify({ name: 'shape', names: 'x', requestedBy: [], failures: 0 }),
  );
  const loaded = await store.loadStates();
  assert.deepEqual([...loaded.keys()], ['a.example.test']);
  assert.deepEqual(loaded.get('a.example.test'), state);
  await store.saveState('a.example.test', null);
  await store.saveState('a.example.test', null);
  assert.equal((await store.loadStates()).size, 0);
  assert.deepEqual(await readdir(join(dir, '.staging')), []);

  // deleting state/ entirely never loses a certificate: records are rebuilt from certs/
  const ca = await createCertFactory();
  await store.install(spec('a.example.test'), await ca.issue(['a.example.test']));
  await rm(join(dir, 'state'), { recursive: true });
  assert.equal((await store.loadStates()).size, 0);
  const { certs } = await store.list();
  const rebuilt = stateFromCert(certs[0]!);
  assert.equal(rebuilt.name, 'a.example.test');
  assert.equal(rebuilt.serial, certs[0]!.serial);
  assert.equal(rebuilt.notAfter, certs[0]!.notAfter.toISOString());
  assert.equal(rebuilt.failures, 0);
  await store.init();
  await store.saveState('a.example.test', rebuilt);
  assert.deepEqual((await store.loadStates()).get('a.example.test'), rebuilt);
});

test('configurable group and directory modes for split-user HAProxy setups', async (t) => {
  const gid = process.getgid!();
  const { dir, store } = await tempStore(t, { group: gid });
  await store.init();
  const ca = await createCertFactory();
  await store.install(spec('a.example.test'), await ca.issue(['a.example.test']));
  const file = join(dir, 'certs', 'a.example.test.pem');
  assert.equal(await mode(file), 0o640, 'group-readable when a group is configured');
  assert.equal((await stat(file)).gid, gid);
  assert.equal(await mode(join(dir, 'certs')), 0o750);
  const explicit = new FileStore({ dir, logger, dirMode: 0o710 });
  await explicit.init();
  assert.equal(await mode(join(dir, 'certs')), 0o710, 'explicit dirMode applied to existing directories');
});

test('install archives a file it did not write (content kept) before replacing it; its own are simply replaced', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const target = join(dir, 'certs', 'a.example.test.pem');
  await writeFile(target, 'an operator file, not a bundle\n');
  assert.deepEqual((await store.list()).unmanaged, ['a.example.test.pem']);
  const first = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), first);
  const archived = await readdir(join(dir, 'archive'));
  assert.equal(archived.length, 1);
  assert.match(archived[0]!, /^a\.example\.test\..*\.replaced\.pem$/);
  assert.equal(await readFile(join(dir, 'archive', archived[0]!), 'utf8'), 'an operator file, not a bundle\n');
  assert.deepEqual(
    (await store.list()).certs.map((c) => c.name),
    ['a.example.test'],
  );
  await store.install(spec('a.example.test'), await ca.issue(['a.example.test']));
  assert.equal((await readdir(join(dir, 'archive'))).length, 1, 'its own bundle is replaced, not archived');
  // A directory in the way is moved to the archive whole.
  await mkdir(join(dir, 'certs', 'd.example.test.pem'));
  await writeFile(join(dir, 'certs', 'd.example.test.pem', 'inside'), 'kept');
  await store.install(spec('d.example.test'), await ca.issue(['d.example.test']));
  const moved = (await readdir(join(dir, 'archive'))).find((f) => f.startsWith('d.example.test.'))!;
  assert.equal(await readFile(join(dir, 'archive', moved, 'inside'), 'utf8'), 'kept');
  assert.deepEqual(
    (await store.list()).certs.map((c) => c.name),
    ['a.example.test', 'd.example.test'],
  );
});

test('kept certificates: written 0600 outside certs/, read back, dropped; a malformed one is skipped and left', async (t) => {
  const { dir, store } = await tempStore(t);
  await store.init();
  const ca = await createCertFactory();
  const cert = await ca.issue(['k.example.test', 'www.k.example.test']);
  const s = spec('k.example.test', ['k.example.test', 'www.k.example.test']);
  await store.keepIssued(s, cert);
  const file = join(dir, 'state', 'kept', 'k.example.test.json');
  assert.equal(await mode(file), 0o600);
  assert.deepEqual(await readdir(join(dir, 'certs')), [], 'never in certs/');
  await writeFile(join(dir, 'state', 'kept', 'bad.json'), '{"name":"bad"}');
  assert.deepEqual(await store.readKept(), [{ spec: s, cert }]);
  assert.equal((await store.loadStates()).size, 0, 'not taken for state records');
  await store.dropKept('k.example.test');
  await store.dropKept('k.example.test');
  assert.deepEqual(await store.readKept(), []);
  assert.deepEqual(await readdir(join(dir, 'state', 'kept')), ['bad.json'], 'a file it cannot read is left alone');
  // The issuing CA is kept with it (several CAs: installed later, it is recorded as that CA's).
  await store.keepIssued(s, { ...cert, issuer: 'https://ca-b.test/dir' });
  assert.equal((await store.readKept()).find((k) => k.spec.name === s.name)?.cert.issuer, 'https://ca-b.test/dir');
});
