/**
 * `marathon-acme agent` against the real daemon's sync feed (a child process serving a storage directory
 * pre-filled with checked bundles; no CA needed), with real HAProxy checks of the agent's directory:
 * a byte-identical copy, one signal per batch, restart without rewrites, changes after SIGHUP and changes
 * by another writer noticed without one (the feed's change detector), refused
 * tokens and fingerprints, servers tried in order, and 50 SIGKILLs mid-sync that never leave HAProxy a
 * directory it refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, feedFingerprint, fillStore, writeSyncTokens } from '../../support/agent.js';
import { createCertFactory } from '../../support/cert-factory.js';
import { startDaemon, type Daemon } from '../../support/daemon.js';
import { spec } from '../../support/fakes.js';
import { checkConfig, freePort, haproxyConfig, startHaproxy } from '../../support/haproxy.js';
import { httpServer } from '../../support/notify-fakes.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dirs.js';
import { probeTls } from '../../support/tls-probe.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FileStore } from '../../../src/store/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
    } catch {
      v = undefined;
    }
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
const health = async (port: number): Promise<Record<string, unknown>> =>
  (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;
const pems = (dir: string): string[] => readdirSync(join(dir, 'certs')).sort();

const work = makeTempDir('agent-it-');
const storage = join(work, 'storage');
const tokens = writeSyncTokens(work);
const factory = await createCertFactory('agent test');
let names: string[] = [];
let daemon: Daemon;
let feedUrl = '';
let fingerprint = '';
const agents: Daemon[] = [];

test.before(async () => {
  rmSync(storage, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(storage);
  names = await fillStore(storage, factory, 40, 'agent.test');
  const syncPort = await freePort();
  feedUrl = `https://127.0.0.1:${syncPort}`;
  daemon = startDaemon([
    '--marathon',
    'none',
    '--lb',
    'none',
    '--acme',
    'https://127.0.0.1:9/directory',
    '--listen',
    `127.0.0.1:${await freePort()}`,
    '--sync-listen',
    `127.0.0.1:${syncPort}`,
    '--api-tokens-file',
    tokens.file,
    storage,
  ]);
  fingerprint = await feedFingerprint(daemon);
});
test.after(async () => {
  for (const a of agents) await a.stop();
  await daemon?.stop();
  removeTempDir(work);
});

/** Start an agent on `dir` with the sync token and the pinned fingerprint unless overridden. */
async function agent(
  dir: string,
  extra: string[] = [],
  opts: { lb?: string; token?: string; fp?: string; server?: string } = {},
) {
  const port = await freePort();
  const a = startAgent([
    '--server',
    opts.server ?? feedUrl,
    '--server-fingerprint',
    opts.fp ?? fingerprint,
    '--token-file',
    opts.token ?? tokens.syncFile,
    '--lb',
    opts.lb ?? 'none',
    '--listen',
    `127.0.0.1:${port}`,
    ...extra,
    dir,
  ]);
  agents.push(a);
  return { a, port };
}

test('a fresh agent copies every bundle and default.pem byte for byte; HAProxy serves its directory; one signal', async (t) => {
  const lb = await httpServer(t, () => 200);
  const dir = join(work, 'a');
  const { a, port } = await agent(dir, [], { lb: lb.url });
  await until('40 bundles', () => pems(dir).length === 40 || undefined);
  await until('a signal', () => lb.hits.length > 0 || undefined);
  for (const n of names)
    assert.equal(
      readFileSync(join(dir, 'certs', `${n}.pem`), 'utf8'),
      readFileSync(join(storage, 'certs', `${n}.pem`), 'utf8'),
    );
  assert.equal(readFileSync(join(dir, 'default.pem'), 'utf8'), readFileSync(join(storage, 'default.pem'), 'utf8'));
  assert.equal(statSync(join(dir, 'certs', `${names[0]}.pem`)).mode & 0o777, 0o600);
  assert.deepEqual(pems(dir), names.map((n) => `${n}.pem`).sort(), 'nothing else in certs/');
  assert.equal(lb.hits.length, 1, 'one signal for the whole batch');
  assert.equal(lb.hits[0]!.url, '/_mlb_signal/usr1');
  const h = await health(port);
  assert.equal(h.status, 'ok');
  assert.equal(h.certificates, 40);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^marathon_acme_agent_lb_signals_total\{result="ok"\} 1$/m);
  const haproxy = await startHaproxy({ storageDir: dir });
  t.after(() => haproxy.stop());
  const served = await probeTls(haproxy.httpsPort, { servername: names[7]!, ca: factory.rootPem });
  assert.equal(served.authorized, true);
  assert.deepEqual(served.altNames, [names[7]]);

  await t.test('a restart rewrites nothing and signals nothing', async () => {
    const before = names.map((n) => statSync(join(dir, 'certs', `${n}.pem`)).ino);
    await a.stop();
    const again = await agent(dir, [], { lb: lb.url });
    await until('synced again', async () => (await health(again.port)).status === 'ok' || undefined);
    assert.deepEqual(
      names.map((n) => statSync(join(dir, 'certs', `${n}.pem`)).ino),
      before,
      'same files (inodes)',
    );
    assert.equal(lb.hits.length, 1);
  });

  await t.test('a bundle added and one removed on the server arrive as one batch', async () => {
    const store = new FileStore({ dir: storage, logger: silentLogger() });
    await store.install(spec('new.agent.test'), await factory.issue(['new.agent.test']));
    await store.archive(names[0]!);
    process.kill(daemon.pid, 'SIGHUP'); // changes behind the daemon's back: SIGHUP rescans
    await until('new bundle', () => pems(dir).includes('new.agent.test.pem') || undefined);
    await until('removal', () => !pems(dir).includes(`${names[0]}.pem`) || undefined);
    await until('the second signal', () => lb.hits.length === 2 || undefined);
    await sleep(300);
    assert.equal(lb.hits.length, 2, 'one signal for the batch');
    assert.equal((await checkDir(dir)).ok, true);
  });

  await t.test(
    'another writer (an HA leader on the shared volume, no event, no SIGHUP): seen within 10 s',
    async () => {
      const store = new FileStore({ dir: storage, logger: silentLogger() });
      const started = Date.now();
      await store.install(spec('other.agent.test'), await factory.issue(['other.agent.test']));
      await store.archive(names[1]!);
      await until('new bundle', () => pems(dir).includes('other.agent.test.pem') || undefined, 10_000);
      await until('removal', () => !pems(dir).includes(`${names[1]}.pem`) || undefined, 10_000);
      t.diagnostic(`another writer's bundle reached the agent in ${Date.now() - started} ms`);
      assert.equal(
        readFileSync(join(dir, 'certs', 'other.agent.test.pem'), 'utf8'),
        readFileSync(join(storage, 'certs', 'other.agent.test.pem'), 'utf8'),
      );
      assert.equal((await checkDir(dir)).ok, true);
    },
  );
});

async function checkDir(dir: string): Promise<{ ok: boolean; output: string }> {
  const cfg = join(dir, '..', `${dir.split('/').pop()}.cfg`);
  writeFileSync(cfg, haproxyConfig({ storageDir: dir, httpsPort: 1, httpPort: 2, statsSocket: `${cfg}.sock` }));
  return checkConfig(cfg);
}

for (const [what, token, status] of [
  ['an unknown token gets 401', 'unknown', 401],
  ['a token without the sync scope gets 403', 'read', 403],
] as const) {
  test(`${what}: reported, nothing written`, async () => {
    const dir = join(work, `refused-${status}`);
    const file = join(work, `token-${status}`);
    writeFileSync(file, token === 'read' ? `${tokens.read}\n` : 'not-a-known-token\n');
    const { a, port } = await agent(dir, [], { token: file });
    const line = await a.waitForLog((l) => l.code === 'SYNC_UNAUTHORIZED', 15_000, 'SYNC_UNAUTHORIZED');
    assert.equal((line.err as { details?: { status?: number } })?.details?.status ?? status, status);
    const h = await health(port);
    assert.equal((h.last_error as { code: string }).code, 'SYNC_UNAUTHORIZED');
    assert.deepEqual(pems(dir), []);
    assert.ok(!JSON.stringify(a.logs).includes(tokens.read), 'the token is never logged');
    await a.stop();
  });
}

test('a wrong fingerprint is refused: nothing written', async () => {
  const dir = join(work, 'pin');
  const { a, port } = await agent(dir, [], { fp: 'AB'.repeat(32) });
  await a.waitForLog((l) => l.code === 'SYNC_PIN_MISMATCH', 15_000, 'SYNC_PIN_MISMATCH');
  assert.equal(((await health(port)).last_error as { code: string }).code, 'SYNC_PIN_MISMATCH');
  assert.deepEqual(pems(dir), []);
  await a.stop();
});

test('servers are tried in order: a dead first one does not stop the sync', async () => {
  const dir = join(work, 'ha');
  const dead = `https://127.0.0.1:${await freePort()}`;
  const { a, port } = await agent(dir, [], { server: `${dead},${feedUrl}` });
  await until('synced', async () => (await health(port)).status === 'ok' || undefined);
  assert.equal((await health(port)).server, feedUrl);
  assert.equal(pems(dir).length, 40);
  await a.stop();
});

test('SIGKILL mid-sync, 50 times: haproxy -c always accepts the directory', async () => {
  const dir = join(work, 'kill');
  let midSync = 0;
  for (let i = 0; i < 50; i += 1) {
    rmSync(join(dir, 'certs'), { recursive: true, force: true });
    const { a } = await agent(dir);
    // Kill once the first bundles land (mid-batch), at a varying moment.
    await until(
      'first bundle',
      () => {
        try {
          return readdirSync(join(dir, 'certs')).length > 0 || undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      10,
    );
    await sleep(i % 7);
    process.kill(a.pid, 'SIGKILL');
    await a.exited;
    const count = pems(dir).length;
    if (count > 0 && count < 40) midSync += 1;
    const r = await checkDir(dir);
    assert.equal(r.ok, true, `kill ${i}: ${r.output}`);
    for (const f of pems(dir)) assert.match(f, /\.pem$/, 'nothing but bundles in certs/');
  }
  assert.ok(midSync > 0, 'at least some kills landed mid-sync');
});

test('--sync-tls-cert/--sync-tls-key on the daemon, --server-ca on the agent: verified chain and host name', async (t) => {
  const served = await factory.issue(['localhost']);
  const certFile = join(work, 'feed-cert.pem');
  const keyFile = join(work, 'feed-key.pem');
  const caFile = join(work, 'feed-ca.pem');
  writeFileSync(certFile, served.certPem + served.chainPem);
  writeFileSync(keyFile, served.keyPem);
  writeFileSync(caFile, factory.rootPem);
  const port = await freePort();
  // ':port' listens on every interface, so 'localhost' reaches it whether it resolves to ::1 or 127.0.0.1.
  const second = startDaemon([
    '--marathon',
    'none',
    '--lb',
    'none',
    '--acme',
    'https://127.0.0.1:9/directory',
    '--listen',
    `127.0.0.1:${await freePort()}`,
    '--sync-listen',
    `:${port}`,
    '--sync-tls-cert',
    certFile,
    '--sync-tls-key',
    keyFile,
    '--api-tokens-file',
    tokens.file,
    storage,
  ]);
  t.after(() => second.stop());
  await feedFingerprint(second);
  assert.equal(existsSync(join(storage, 'sync-tls.pem')), true, 'the self-signed one of the first daemon stays');
  const dir = join(work, 'ca');
  const agentPort = await freePort();
  const a = startAgent([
    '--server',
    `https://localhost:${port}`,
    '--server-ca',
    caFile,
    '--token-file',
    tokens.syncFile,
    '--lb',
    'none',
    '--listen',
    `127.0.0.1:${agentPort}`,
    dir,
  ]);
  agents.push(a);
  await until('synced', async () => (await health(agentPort)).status === 'ok' || undefined);
  assert.ok(pems(dir).length >= 40);
  await a.stop();

  await t.test('the same CA but another host name is refused', async () => {
    const other = join(work, 'ca-other');
    const p2 = await freePort();
    const b = startAgent([
      '--server',
      `https://127.0.0.1:${port}`,
      '--server-ca',
      caFile,
      '--token-file',
      tokens.syncFile,
      '--lb',
      'none',
      '--listen',
      `127.0.0.1:${p2}`,
      other,
    ]);
    agents.push(b);
    await b.waitForLog((l) => l.code === 'SYNC_PIN_MISMATCH', 15_000, 'SYNC_PIN_MISMATCH');
    assert.deepEqual(pems(other), []);
    await b.stop();
  });
});
