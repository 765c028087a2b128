/**
 * Agent mode end to end, without a shared volume: the real stack (Marathon simulator, marathon-acme,
 * Pebble validating through HAProxy) with `--sync-listen`, and two agents, each writing its OWN directory
 * served by its OWN real HAProxy (reloaded by its own marathon-lb stand-in, as a marathon-lb beside each
 * agent). Proven by TLS handshakes verified against Pebble's root: a new app's certificate reaches both
 * HAProxies, a removal propagates, and with the daemon stopped both keep serving and recover when it returns.
 * (The install → agent latency is measured in bench/agent.ts, not asserted here.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentDir } from '../../src/agent/local.js';
import { feedFingerprint, startAgent, writeSyncTokens } from '../support/agent.js';
import type { Daemon } from '../support/daemon.js';
import { freePort, startHaproxy, type HaproxyHandle } from '../support/haproxy.js';
import { startMlbStandin, type MlbStandin } from '../support/mlb-standin.js';
import { app, startStack, type Stack } from '../support/stack.js';
import { makeTempDir, removeTempDir } from '../support/temp-dirs.js';
import { probeTls } from '../support/tls-probe.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Lb {
  readonly dir: string;
  readonly haproxy: HaproxyHandle;
  readonly mlb: MlbStandin;
  agent: Daemon;
  readonly healthPort: number;
}

test('two agents, two HAProxies, no shared volume', { timeout: 300_000 }, async (t) => {
  const work = makeTempDir('agent-e2e-');
  t.after(() => removeTempDir(work));
  const tokens = writeSyncTokens(work);
  const syncPort = await freePort();
  const feed = `https://127.0.0.1:${syncPort}`;
  const stack: Stack = await startStack({
    apps: [app('/agents/a', labels('a.agents.test'))],
    daemonArgs: [
      '--sync-listen',
      `127.0.0.1:${syncPort}`,
      '--api-tokens-file',
      tokens.file,
      '--remove-after',
      '3',
      '--backoff-min',
      '1',
      '--backoff-max',
      '4',
    ],
  });
  t.after(() => stack.stop());
  const fingerprint = await feedFingerprint(stack.daemon);
  const root = await stack.pebble.rootPem();

  const lbs: Lb[] = [];
  for (const n of [1, 2]) {
    const dir = join(work, `lb${n}`);
    await new AgentDir(dir).init(); // HAProxy needs default.pem and certs/ before it starts
    const haproxy = await startHaproxy({ storageDir: dir });
    t.after(() => haproxy.stop());
    const mlb = await startMlbStandin({ haproxy });
    t.after(() => mlb.close());
    const healthPort = await freePort();
    const lb: Lb = { dir, haproxy, mlb, healthPort, agent: undefined as unknown as Daemon };
    lb.agent = spawnAgent(lb);
    t.after(() => lb.agent.stop());
    lbs.push(lb);
  }
  function spawnAgent(lb: Pick<Lb, 'dir' | 'mlb' | 'healthPort'>): Daemon {
    return startAgent([
      '--server',
      feed,
      '--server-fingerprint',
      fingerprint,
      '--token-file',
      tokens.syncFile,
      '--lb',
      lb.mlb.url,
      '--listen',
      `127.0.0.1:${lb.healthPort}`,
      lb.dir,
    ]);
  }
  const health = async (lb: Lb) =>
    (await (await fetch(`http://127.0.0.1:${lb.healthPort}/health`)).json()) as Record<string, unknown>;

  /** Poll until `lb`'s HAProxy serves a verified certificate for `name` (or, with `gone`, no longer does). */
  async function served(lb: Lb, name: string, gone = false, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const c = await probeTls(lb.haproxy.httpsPort, { servername: name, ca: root });
        const covers = c.authorized && c.altNames.includes(name);
        if (covers !== gone) return;
        last = `${c.subject} [${c.altNames.join(',')}]`;
      } catch (err) {
        // Without the certificate HAProxy answers with default.pem, which does not verify.
        if (gone) return;
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`${lb.dir}: ${name} ${gone ? 'still served' : 'not served'}; last: ${last}`);
  }

  await t.test('the first certificate reaches both HAProxies', async () => {
    await Promise.all(lbs.map((lb) => served(lb, 'a.agents.test')));
    for (const lb of lbs) assert.deepEqual(readdirSync(join(lb.dir, 'certs')), ['a.agents.test.pem']);
  });

  await t.test("a new app's certificate is served by both, after it is installed on the server", async () => {
    stack.sim.apps.add(app('/agents/b', labels('b.agents.test')));
    const installed = join(stack.storageDir, 'certs', 'b.agents.test.pem');
    const deadline = Date.now() + 90_000;
    while (!existsSync(installed) && Date.now() < deadline) await sleep(50);
    assert.ok(existsSync(installed), 'the daemon installed it');
    await Promise.all(lbs.map((lb) => served(lb, 'b.agents.test', false, 30_000)));
    for (const lb of lbs) assert.ok(lb.mlb.calls.length >= 2, 'each marathon-lb was signalled');
  });

  await t.test('a removal propagates to both directories and HAProxies', async () => {
    assert.ok(stack.sim.apps.remove('/agents/b'));
    await Promise.all(lbs.map((lb) => served(lb, 'b.agents.test', true, 60_000)));
    for (const lb of lbs) assert.deepEqual(readdirSync(join(lb.dir, 'certs')), ['a.agents.test.pem']);
  });

  await t.test('the server stopped: both keep serving, report it, and recover when it returns', async () => {
    const before = (await health(lbs[0]!)).epoch;
    await stack.daemon.stop();
    for (const lb of lbs) {
      const deadline = Date.now() + 30_000;
      while (((await health(lb)).consecutive_failures as number) < 2 && Date.now() < deadline) await sleep(200);
      const h = await health(lb);
      assert.ok((h.consecutive_failures as number) >= 2, JSON.stringify(h));
      assert.equal((h.last_error as { code: string }).code, 'SYNC_UNREACHABLE');
    }
    await sleep(2000);
    await Promise.all(lbs.map((lb) => served(lb, 'a.agents.test', false, 5000)));
    for (const lb of lbs)
      assert.deepEqual(readdirSync(join(lb.dir, 'certs')), ['a.agents.test.pem'], 'nothing removed');
    await stack.restartDaemon();
    for (const lb of lbs) {
      const deadline = Date.now() + 60_000;
      let h = await health(lb);
      while ((h.status !== 'ok' || h.epoch === before) && Date.now() < deadline) {
        await sleep(200);
        h = await health(lb);
      }
      assert.equal(h.status, 'ok');
      assert.notEqual(h.epoch, before, 'synced with the restarted server');
    }
    stack.sim.apps.add(app('/agents/c', labels('c.agents.test')));
    await Promise.all(lbs.map((lb) => served(lb, 'c.agents.test')));
    await Promise.all(lbs.map((lb) => served(lb, 'a.agents.test', false, 5000)));
  });
});
