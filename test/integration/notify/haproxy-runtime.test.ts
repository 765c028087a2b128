/**
 * HaproxyRuntimeNotifier against a REAL HAProxy 2.6: certificates added, swapped and removed over the
 * stats socket without any reload (master and worker PIDs unchanged), and the fallback reload when the
 * runtime API refuses.
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
import { HaproxyRuntimeNotifier } from '../../../src/notify/haproxy-runtime.js';
import { haproxyCommand } from '../../../src/notify/haproxy-cli.js';
import { createCertFactory } from '../../support/cert-factory.js';
import { startHaproxy, type HaproxyHandle } from '../../support/haproxy.js';
import { probeTls } from '../../support/tls-probe.js';

const logger = silentLogger();
const spec = (name: string): CertSpec => ({ name, names: [name], requestedBy: [{ source: 'static' }] });
const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;
const signal = (): AbortSignal => new AbortController().signal;

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'store-rt-'));
  const store = new FileStore({ dir, logger });
  await store.init();
  const hap = await startHaproxy({ storageDir: dir });
  t.after(async () => {
    await hap.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const def = await readFile(store.defaultPemPath, 'utf8');
  return { dir, store, hap, defaultFp: fp(def.slice(def.indexOf('-----BEGIN CERTIFICATE-----'))) };
}

async function pids(hap: HaproxyHandle): Promise<string> {
  return `${hap.pid()}:${(await hap.workerPids()).join(',')}`;
}

test('runtime API: new, renewed and removed certificates are served without HAProxy reloading', async (t) => {
  const { store, hap, defaultFp } = await setup(t);
  const ca = await createCertFactory();
  const metrics = createMetrics({ defaultMetrics: false });
  const notifier = new HaproxyRuntimeNotifier({
    statsSocket: hap.statsSocket,
    certsDir: `${hap.certsDir}/`,
    logger,
    metrics,
  });
  t.after(() => notifier.stop());
  const before = await pids(hap);
  const counters = await hap.reloadCounters();

  // a new certificate (not loaded at start)
  const a1 = await ca.issue(['a.example.test']);
  const b1 = await ca.issue(['b.example.test', 'www.b.example.test']);
  await store.install(spec('a.example.test'), a1);
  await store.install({ ...spec('b.example.test'), names: ['b.example.test', 'www.b.example.test'] }, b1);
  let t0 = performance.now();
  assert.deepEqual(await notifier.notify({ written: ['a.example.test', 'b.example.test'], removed: [] }, signal()), {
    ok: true,
  });
  const addMs = performance.now() - t0;
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'a.example.test', ca: ca.rootPem })).fingerprint256,
    fp(a1.certPem),
  );
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'www.b.example.test', ca: ca.rootPem })).fingerprint256,
    fp(b1.certPem),
  );

  // a renewal swaps the certificate in place
  const a2 = await ca.issue(['a.example.test']);
  await store.install(spec('a.example.test'), a2);
  t0 = performance.now();
  assert.deepEqual(await notifier.notify({ written: ['a.example.test'], removed: [] }, signal()), { ok: true });
  const swapMs = performance.now() - t0;
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'a.example.test', ca: ca.rootPem })).fingerprint256,
    fp(a2.certPem),
  );

  // a removal takes it out; the name falls back to default.pem
  await store.archive('b.example.test');
  assert.deepEqual(await notifier.notify({ written: [], removed: ['b.example.test'] }, signal()), { ok: true });
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'b.example.test', insecureFingerprintOnly: true })).fingerprint256,
    defaultFp,
  );
  // removing again is harmless
  assert.deepEqual(await notifier.notify({ written: [], removed: ['b.example.test'] }, signal()), { ok: true });

  assert.equal(await pids(hap), before, 'no reload: master and worker PIDs unchanged');
  assert.deepEqual(await hap.reloadCounters(), counters, 'no reload, no failed reload');
  // the files agree with memory: a reload now serves the same certificates
  assert.ok((await hap.check()).ok);
  await hap.reload();
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'a.example.test', ca: ca.rootPem })).fingerprint256,
    fp(a2.certPem),
  );
  assert.match(await metrics.registry.metrics(), /notifier="haproxy-runtime",result="success"\} 4/);
  t.diagnostic(`runtime add of 2 certs: ${addMs.toFixed(0)} ms; swap of 1: ${swapMs.toFixed(0)} ms`);
});

test('runtime API refusal falls back to a reload (master CLI), which serves the written file', async (t) => {
  const { store, hap } = await setup(t);
  const ca = await createCertFactory();
  const metrics = createMetrics({ defaultMetrics: false });
  // a crt-list name HAProxy does not know: every runtime step is refused
  const notifier = new HaproxyRuntimeNotifier({
    statsSocket: hap.statsSocket,
    certsDir: '/not/the/bind/line/certs',
    logger,
    metrics,
    fallback: { kind: 'master-socket', path: hap.masterSocket },
  });
  t.after(() => notifier.stop());
  const counters = await hap.reloadCounters();
  const c = await ca.issue(['f.example.test']);
  await store.install(spec('f.example.test'), c);
  const res = await notifier.notify({ written: ['f.example.test'], removed: [] }, signal());
  assert.equal(res.ok, true);
  assert.match(res.detail!, /reloaded instead/);
  await hap.waitForReload(counters);
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'f.example.test', ca: ca.rootPem })).fingerprint256,
    fp(c.certPem),
  );
  assert.match(await metrics.registry.metrics(), /notifier="haproxy-runtime",result="fallback"\} 1/);
});

test('runtime API unreachable and no working fallback: ok false, retried in the background', async (t) => {
  const { store } = await setup(t);
  const ca = await createCertFactory();
  const notifier = new HaproxyRuntimeNotifier({
    statsSocket: '/nonexistent/stats.sock',
    certsDir: store.certsDir,
    logger,
    fallback: { kind: 'command', argv: ['/bin/false'] },
    retry: { baseMs: 10_000, capMs: 10_000, factor: 1, jitter: 0 },
  });
  await store.install(spec('g.example.test'), await ca.issue(['g.example.test']));
  const res = await notifier.notify({ written: ['g.example.test'], removed: [] }, signal());
  assert.equal(res.ok, false);
  assert.match(res.detail!, /reload failed: exit status 1/);
  assert.deepEqual(notifier.pendingRetries(), ['reload']);
  await notifier.stop();
  assert.deepEqual(notifier.pendingRetries(), []);
});

test('runtime API: a stale open certificate transaction is aborted first, and an aborted batch leaves none open', async (t) => {
  const { store, hap } = await setup(t);
  const ca = await createCertFactory();
  const notifier = new HaproxyRuntimeNotifier({
    statsSocket: hap.statsSocket,
    certsDir: store.certsDir,
    haproxyCertsDir: hap.certsDir,
    logger,
  });
  t.after(() => notifier.stop());
  const openTransaction = async (): Promise<string | undefined> => {
    const lines = (await haproxyCommand(hap.statsSocket, 'show ssl cert')).split('\n');
    const at = lines.indexOf('# transaction');
    return at >= 0 ? lines[at + 1] : undefined;
  };

  const h1 = await ca.issue(['h.example.test']);
  await store.install(spec('h.example.test'), h1);
  assert.deepEqual(await notifier.notify({ written: ['h.example.test'], removed: [] }, signal()), { ok: true });

  // another client died between `set` and `commit`: HAProxy refuses any other transaction...
  const file = join(hap.certsDir, 'h.example.test.pem');
  const set = await haproxyCommand(hap.statsSocket, `set ssl cert ${file}`, { payload: await readFile(file, 'utf8') });
  assert.match(set, /Transaction created/);
  assert.equal(await openTransaction(), `*${file}`);
  const i1 = await ca.issue(['i.example.test']);
  await store.install(spec('i.example.test'), i1);
  // ...until the notifier aborts the stale one before its batch
  assert.deepEqual(await notifier.notify({ written: ['i.example.test'], removed: [] }, signal()), { ok: true });
  assert.equal(await openTransaction(), undefined);
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'i.example.test', ca: ca.rootPem })).fingerprint256,
    fp(i1.certPem),
  );

  // batches aborted at any moment (also during `set` or `commit`) never leave a transaction open once notify settled
  let h = h1;
  for (let delayMs = 0; delayMs <= 12; delayMs += 1) {
    h = await ca.issue(['h.example.test']);
    await store.install(spec('h.example.test'), h);
    const ctl = new AbortController();
    const p = notifier.notify({ written: ['h.example.test', 'i.example.test'], removed: [] }, ctl.signal);
    setTimeout(() => ctl.abort(), delayMs);
    await p.catch((err: unknown) => assert.equal((err as Error).name, 'AbortError'));
    assert.equal(await openTransaction(), undefined, `transaction left open after an abort at ${delayMs} ms`);
  }
  // and the next batch goes through
  assert.deepEqual(await notifier.notify({ written: ['h.example.test'], removed: [] }, signal()), { ok: true });
  assert.equal(
    (await probeTls(hap.httpsPort, { servername: 'h.example.test', ca: ca.rootPem })).fingerprint256,
    fp(h.certPem),
  );
});
