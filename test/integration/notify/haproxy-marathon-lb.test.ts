/**
 * The store and MarathonLbNotifier against a REAL HAProxy 2.6 in master-worker mode, reloaded by a
 * marathon-lb stand-in: what a TLS client receives after a write + notify.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { CertSpec } from '../../../src/domain/types.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import { FileStore } from '../../../src/store/file-store.js';
import { MarathonLbNotifier } from '../../../src/notify/marathon-lb.js';
import { createCertFactory } from '../../support/cert-factory.js';
import { startHaproxy, type HaproxyHandle } from '../../support/haproxy.js';
import { startMlbStandin, type MlbStandin } from '../../support/mlb-standin.js';
import { probeTls } from '../../support/tls-probe.js';

const logger = silentLogger();
const spec = (name: string): CertSpec => ({ name, names: [name], requestedBy: [{ source: 'static' }] });
const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;

async function setup(t: { after: (fn: () => Promise<void>) => void }, lbCount = 1) {
  const dir = await mkdtemp(join(tmpdir(), 'store-hap-'));
  const store = new FileStore({ dir, logger });
  await store.init();
  const haps: HaproxyHandle[] = [];
  const lbs: MlbStandin[] = [];
  t.after(async () => {
    for (const l of lbs) await l.close();
    for (const h of haps) await h.stop();
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < lbCount; i += 1) {
    const hap = await startHaproxy({ storageDir: dir });
    haps.push(hap);
    lbs.push(await startMlbStandin({ haproxy: hap, basicAuth: 'mlb:s3cret' }));
  }
  const defaultFp = fp(
    (await readFile(store.defaultPemPath, 'utf8')).slice(
      (await readFile(store.defaultPemPath, 'utf8')).indexOf('-----BEGIN CERTIFICATE-----'),
    ),
  );
  return { dir, store, haps, lbs, defaultFp };
}

test('after install + one marathon-lb signal, SNI gets exactly the new certificate; no SNI gets default.pem', async (t) => {
  const { store, haps, lbs, defaultFp } = await setup(t);
  const [hap] = haps as [HaproxyHandle];
  const [lb] = lbs as [MlbStandin];
  const ca = await createCertFactory();
  const metrics = createMetrics({ defaultMetrics: false });
  const url = new URL(lb.url);
  url.username = 'mlb';
  url.password = 's3cret';
  const notifier = new MarathonLbNotifier({ urls: [url.toString()], logger, metrics });
  t.after(() => notifier.stop());
  const masterBefore = hap.pid();
  const workersBefore = await hap.workerPids();

  // nothing installed yet: the name falls back to default.pem
  const before = await probeTls(hap.httpsPort, { servername: 'a.example.test', insecureFingerprintOnly: true });
  assert.equal(before.fingerprint256, defaultFp);

  const first = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), first);
  assert.deepEqual(await notifier.notify({ written: ['a.example.test'], removed: [] }, new AbortController().signal), {
    ok: true,
  });
  await lb.waitForReloads(1);
  assert.equal(lb.calls.length, 1);
  assert.equal(lb.calls[0]!.method, 'POST');
  assert.equal(lb.calls[0]!.path, '/_mlb_signal/usr1');
  assert.equal(lb.calls[0]!.authorization, `Basic ${Buffer.from('mlb:s3cret').toString('base64')}`);

  const got = await probeTls(hap.httpsPort, { servername: 'a.example.test', ca: ca.rootPem });
  assert.ok(got.authorized);
  assert.equal(got.fingerprint256, fp(first.certPem), 'exactly the new certificate');
  const noSni = await probeTls(hap.httpsPort, { insecureFingerprintOnly: true });
  assert.equal(noSni.fingerprint256, defaultFp, 'no SNI: default.pem');
  const unknown = await probeTls(hap.httpsPort, { servername: 'unknown.example.test', insecureFingerprintOnly: true });
  assert.equal(unknown.fingerprint256, defaultFp, 'unknown SNI: default.pem');

  // renewal: replace the bundle, signal again
  const renewed = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), renewed);
  await notifier.notify({ written: ['a.example.test'], removed: [] }, new AbortController().signal);
  await lb.waitForReloads(2);
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'a.example.test', ca: ca.rootPem })).fingerprint256,
    fp(renewed.certPem),
  );

  // removal: archived out of certs/, signal, the name falls back to default.pem
  await store.archive('a.example.test');
  await notifier.notify({ written: [], removed: ['a.example.test'] }, new AbortController().signal);
  await lb.waitForReloads(3);
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'a.example.test', insecureFingerprintOnly: true })).fingerprint256,
    defaultFp,
  );

  assert.deepEqual(lb.reloadErrors, []);
  assert.equal(hap.pid(), masterBefore, 'the master survives reloads');
  assert.notDeepEqual(await hap.workerPids(), workersBefore, 'workers were replaced by the reloads');
  assert.match(
    await metrics.registry.metrics(),
    /marathon_acme_lb_signals_total\{notifier="marathon-lb",result="success"\} 3/,
  );
  t.diagnostic(`reload ms: ${lb.reloads.map((m) => m.toFixed(0)).join(', ')}`);
});

test('50 bundles written + one notify = one reload per marathon-lb', async (t) => {
  const { store, haps, lbs } = await setup(t, 2);
  const ca = await createCertFactory();
  const notifier = new MarathonLbNotifier({
    urls: lbs.map((l) => l.url.replace('http://', 'http://mlb:s3cret@')),
    logger,
  });
  t.after(() => notifier.stop());
  const names = Array.from({ length: 50 }, (_, i) => `site${String(i).padStart(2, '0')}.example.test`);
  const issued = await Promise.all(names.map((n) => ca.issue([n])));
  const t0 = performance.now();
  for (const [i, n] of names.entries()) await store.install(spec(n), issued[i]!);
  const installMs = performance.now() - t0;
  const result = await notifier.notify({ written: names, removed: [] }, new AbortController().signal);
  assert.equal(result.ok, true);
  for (const lb of lbs) await lb.waitForReloads(1);
  await new Promise((r) => setTimeout(r, 200));
  for (const lb of lbs) {
    assert.equal(lb.calls.length, 1, 'one signal per LB');
    assert.equal(lb.reloads.length, 1, 'one reload per LB');
  }
  for (const hap of haps) {
    for (const i of [0, 17, 49]) {
      const got = await probeTls(hap.httpsPort, { servername: names[i]!, ca: ca.rootPem });
      assert.equal(got.fingerprint256, fp(issued[i]!.certPem));
    }
  }
  t.diagnostic(
    `50 installs: ${installMs.toFixed(0)} ms; reload with 50 certs: ${lbs.map((l) => l.reloads[0]!.toFixed(0)).join(' / ')} ms`,
  );
});

test('an LB that fails is retried in the background until it answers; the batch is ok if one LB answered', async (t) => {
  const { store, lbs, haps } = await setup(t, 2);
  const [good, bad] = lbs as [MlbStandin, MlbStandin];
  bad.failWith = 500;
  const ca = await createCertFactory();
  const notifier = new MarathonLbNotifier({
    urls: lbs.map((l) => l.url.replace('http://', 'http://mlb:s3cret@')),
    logger,
    retry: { baseMs: 50, capMs: 200, factor: 2, jitter: 0 },
  });
  t.after(() => notifier.stop());
  const c = await ca.issue(['r.example.test']);
  await store.install(spec('r.example.test'), c);
  const res = await notifier.notify({ written: ['r.example.test'], removed: [] }, new AbortController().signal);
  assert.equal(res.ok, true);
  assert.match(res.detail!, /1\/2 marathon-lb instances failed/);
  assert.doesNotMatch(res.detail!, /s3cret/, 'credentials never in details');
  assert.deepEqual(notifier.pendingRetries(), [new URL(bad.url).origin]);
  await new Promise((r) => setTimeout(r, 300));
  bad.failWith = null;
  await notifier.retriesSettled();
  await bad.waitForReloads(1);
  assert.ok(bad.calls.length >= 3, 'retried');
  assert.deepEqual(notifier.pendingRetries(), []);
  assert.equal(
    (await probeTls(haps[1]!.httpsPort, { servername: 'r.example.test', ca: ca.rootPem })).fingerprint256,
    fp(c.certPem),
  );
  assert.equal(good.calls.length, 1);
});

test('the harness routes /.well-known/acme-challenge/ on its HTTP port to the configured acmeBackend', async (t) => {
  const { createServer } = await import('node:http');
  const seen: string[] = [];
  const backend = createServer((req, res) => {
    seen.push(req.url!);
    res.end('token-answer');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => backend.close(() => r())));
  const dir = await mkdtemp(join(tmpdir(), 'store-hap-'));
  const store = new FileStore({ dir, logger });
  await store.init();
  const addr = backend.address();
  const hap = await startHaproxy({
    storageDir: dir,
    acmeBackend: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
  });
  t.after(async () => {
    await hap.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const res = await fetch(`http://127.0.0.1:${hap.httpPort}/.well-known/acme-challenge/abc`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'token-answer');
  assert.deepEqual(seen, ['/.well-known/acme-challenge/abc']);
  assert.equal((await fetch(`http://127.0.0.1:${hap.httpPort}/other`)).status, 404);
});
