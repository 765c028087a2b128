/**
 * High availability and ZooKeeper's quorum: three marathon-acme instances on a real three-server
 * ZooKeeper ensemble. One server stopped ⇒ no interruption (same leader, the next app issued). Two
 * stopped (quorum lost) ⇒ the leader steps down, /health names the failing check, nothing is ordered
 * or removed, certificates stay served; the servers back ⇒ a leader again, and work resumes.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type HaStack, startHaStack } from '../support/ha-stack.js';
import { app } from '../support/stack.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test('HA on a three-server ZooKeeper: one server lost, then the quorum', { timeout: 300_000 }, async (t) => {
  const stack = await startHaStack({
    zkSize: 3,
    sessionTimeout: 6,
    apps: [app('/q/a', labels('a.quorum.test')), app('/q/b', labels('b.quorum.test'))],
    pebble: { env: { PEBBLE_AUTHZREUSE: '0' } },
    daemonArgs: ['--remove-after', '1', '--resync-interval', '30'],
  });
  t.after(() => stack.stop());
  await stack.waitServed('a.quorum.test');
  await stack.waitServed('b.quorum.test');
  const certs = () => readdirSync(join(stack.storageDir, 'certs')).sort();

  await t.test('one ZooKeeper server of three stops: no interruption', async () => {
    const leader = await stack.leader();
    const lostBefore = stack.instances[leader]!.daemon.logs.filter((l) => l.msg === 'leadership lost').length;
    // A follower of the ensemble (losing its leader makes the ensemble elect a new one first: docs/ha.md).
    const modes = await Promise.all([0, 1, 2].map((i) => stack.zk.mode(i)));
    const victim = modes.indexOf('follower');
    assert.ok(victim >= 0, `a follower in ${modes.join(',')}`);
    await stack.zk.kill(victim);
    try {
      stack.sim.apps.add(app('/q/c', labels('c.quorum.test')) as Record<string, unknown>);
      await stack.waitServed('c.quorum.test');
      assert.equal(await stack.leader(), leader, 'the same instance leads');
      const lostAfter = stack.instances[leader]!.daemon.logs.filter((l) => l.msg === 'leadership lost').length;
      assert.equal(lostAfter, lostBefore, 'its leadership never lapsed');
    } finally {
      await stack.zk.start(victim);
    }
  });

  await t.test('two of three stop (no quorum): the leader steps down, nothing is ordered or removed', async () => {
    const leader = await stack.leader();
    const before = certs();
    const orders = stack.newOrders();
    await stack.zk.kill(1);
    await stack.zk.kill(2);
    try {
      await quorumLost(stack, leader, before, orders);
    } catch (err) {
      // Leave the ensemble whole for the next case (and the clean-up), whatever failed here.
      await Promise.all([stack.zk.start(1), stack.zk.start(2)]).catch(() => undefined);
      throw err;
    }
  });

  await t.test('the servers come back: a leader is elected and work resumes', async () => {
    if (!(await stack.zk.serving(1))) await Promise.all([stack.zk.start(1), stack.zk.start(2)]);
    await stack.leader(60_000);
    await stack.waitServed('d.quorum.test', 90_000);
    await waitUntil(
      'the removed app’s certificate archived after its grace',
      async () => !certs().includes('a.quorum.test.pem'),
    );
  });
});

/** The checks while two of the three ZooKeeper servers are down. */
async function quorumLost(stack: HaStack, leader: number, before: string[], orders: number): Promise<void> {
  const certs = () => readdirSync(join(stack.storageDir, 'certs')).sort();
  await stack.instances[leader]!.daemon.waitForLog(
    (l) => l.msg === 'leadership lost' && Date.parse(String(l.time)) > Date.now() - 60_000,
    30_000,
    'the leader to step down',
  );
  // Meanwhile Marathon changes: an app goes (its certificate must stay), one comes (nobody may order it).
  assert.ok(stack.sim.apps.remove('/q/a'));
  stack.sim.apps.add(app('/q/d', labels('d.quorum.test')) as Record<string, unknown>);
  await sleep(4000);
  for (let i = 0; i < stack.instances.length; i += 1) {
    // An instance busy reconnecting on a loaded machine may miss one 2 s request: ask again, briefly.
    let s = await stack.status(i);
    for (let tries = 0; s === undefined && tries < 5; tries += 1) s = await stack.status(i);
    assert.equal(s?.cluster.leading, false, `instance ${i} does not lead without a quorum`);
    const res = await fetch(`${stack.instances[i]!.url}/health`);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    assert.equal(body.checks.zookeeper?.ok, false);
    assert.match(body.checks.zookeeper!.detail, /ZooKeeper unreachable/);
  }
  assert.deepEqual(certs(), before, 'no certificate written or removed');
  assert.equal(stack.newOrders(), orders, 'nothing ordered');
  const served = await stack.waitServed('a.quorum.test');
  assert.ok(served.authorized, 'certificates on disk stay served');
}
