/**
 * High availability end to end: three marathon-acme processes on one real ZooKeeper, sharing one
 * storage directory, behind an HAProxy that round-robins the challenge path across all three (so
 * followers must answer HTTP-01), Pebble validating through it. Cases: 10 apps ordered exactly once
 * each; every instance agrees on the leader and shows the same certificates; a leader frozen with
 * SIGSTOP past the session timeout is replaced and, once resumed, writes nothing; kill -9 and SIGTERM of
 * the leader hand over and the next app is issued by the new leader.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ZooKeeper } from '../../src/cluster/zk/zookeeper.js';
import { silentLogger } from '../../src/lib/logger.js';
import { type HaStack, startHaStack } from '../support/ha-stack.js';
import { app } from '../support/stack.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const names = Array.from({ length: 10 }, (_, i) => `app${i}.ha.test`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 'ordering certificate' lines for `name` in every instance's log (each precedes one newOrder at most). */
function orderingLines(stack: HaStack, name: string): Array<{ instance: string; at: string }> {
  return stack.instances.flatMap((inst) =>
    inst.daemon.logs
      .filter((l) => l.msg === 'ordering certificate' && l.domain === name)
      .map((l) => ({ instance: inst.id, at: String(l.time) })),
  );
}

function installedBy(stack: HaStack, name: string): string[] {
  return stack.instances.flatMap((inst) =>
    inst.daemon.logs.filter((l) => l.msg === 'certificate installed' && l.domain === name).map(() => inst.id),
  );
}

test('HA: three instances, one leader, every instance answers HTTP-01', { timeout: 300_000 }, async (t) => {
  const stack = await startHaStack({
    apps: names.map((n, i) => app(`/ha/app${i}`, labels(n))),
    sessionTimeout: 4,
    pebble: { env: { PEBBLE_AUTHZREUSE: '0' } },
    daemonArgs: ['--resync-interval', '30'],
  });
  t.after(() => stack.stop());

  await t.test('10 apps: each name issued and ordered exactly once, by the leader alone', async () => {
    const leader = await stack.leader();
    for (const n of names) await stack.waitServed(n);
    for (const n of names) {
      assert.equal(orderingLines(stack, n).length, 1, `${n} ordered once: ${JSON.stringify(orderingLines(stack, n))}`);
      assert.deepEqual(installedBy(stack, n), [stack.instances[leader]!.id], `${n} written by the leader only`);
    }
    assert.equal(stack.pebble.issuedCount(), names.length, 'Pebble issued exactly one certificate per name');
    assert.equal(stack.newOrders(), names.length, 'Pebble accepted exactly one new order per name');
    // Three instances behind a round-robin: followers answered some of the CA's validation requests.
    assert.ok(stack.mlb.calls.length >= 1, 'the load balancer was signalled');
  });

  await t.test('every instance agrees on the leader and the members, and shows the same certificates', async () => {
    const leader = await stack.leader();
    const id = stack.instances[leader]!.id;
    await waitUntil(
      'followers see every certificate valid',
      async () => {
        for (let i = 0; i < stack.instances.length; i += 1) {
          const s = await stack.status(i);
          if (!s || s.cluster.leader !== id || s.cluster.members.length !== 3) return false;
          if (s.cluster.self !== stack.instances[i]!.id || Number.isNaN(Date.parse(s.cluster.since))) return false;
          const valid = new Set(s.certificates.filter((c) => c.state === 'valid').map((c) => c.name));
          if (!names.every((n) => valid.has(n))) return false;
        }
        return true;
      },
      60_000,
    );
    for (let i = 0; i < stack.instances.length; i += 1) {
      const metrics = await (await fetch(`${stack.instances[i]!.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`^marathon_acme_leader ${i === leader ? 1 : 0}$`, 'm'));
      assert.match(metrics, /^marathon_acme_cluster_members 3$/m);
      assert.match(metrics, new RegExp(`marathon_acme_instance_info\\{instance_id="i${i}"\\} 1`));
      const health = await fetch(`${stack.instances[i]!.url}/health`);
      const body = (await health.json()) as { checks: Record<string, { ok: boolean }> };
      assert.equal(body.checks.zookeeper?.ok, true);
    }
  });

  await t.test('a leader frozen past the session timeout is replaced; resumed, it writes nothing', async () => {
    const old = await stack.leader();
    const oldInst = stack.instances[old]!;
    process.kill(oldInst.daemon.pid, 'SIGSTOP');
    const others = stack.instances.map((_, i) => i).filter((i) => i !== old);
    const next = await stack.leader(30_000, others);
    stack.sim.apps.add(app('/ha/frozen', labels('frozen.ha.test')) as Record<string, unknown>);
    await stack.waitServed('frozen.ha.test');
    const logsBefore = oldInst.daemon.logs.length;
    const certMtime = statSync(join(stack.storageDir, 'certs', 'frozen.ha.test.pem')).mtimeMs;
    process.kill(oldInst.daemon.pid, 'SIGCONT');
    await oldInst.daemon.waitForLog(
      (l) => l.msg === 'leadership lost' || l.msg === 'following the leader',
      20_000,
      'the resumed instance to step down',
    );
    await sleep(3000);
    const after = oldInst.daemon.logs.slice(logsBefore);
    const wrote = after.filter((l) =>
      ['certificate installed', 'ordering certificate', 'certificate removed'].includes(l.msg),
    );
    assert.deepEqual(wrote, [], 'the resumed old leader ordered and wrote nothing');
    assert.deepEqual(installedBy(stack, 'frozen.ha.test'), [stack.instances[next]!.id]);
    assert.equal(orderingLines(stack, 'frozen.ha.test').length, 1);
    assert.equal(statSync(join(stack.storageDir, 'certs', 'frozen.ha.test.pem')).mtimeMs, certMtime);
    assert.equal(await stack.leader(10_000), next, 'the new leader stays the leader');
  });

  await t.test('kill -9 of the leader: another instance leads and issues the next app', async () => {
    const old = await stack.leader();
    process.kill(stack.instances[old]!.daemon.pid, 'SIGKILL');
    stack.sim.apps.add(app('/ha/killed', labels('killed.ha.test')) as Record<string, unknown>);
    const others = stack.instances.map((_, i) => i).filter((i) => i !== old);
    const next = await stack.leader(30_000, others);
    await stack.waitServed('killed.ha.test');
    assert.deepEqual(installedBy(stack, 'killed.ha.test'), [stack.instances[next]!.id]);
    assert.equal(orderingLines(stack, 'killed.ha.test').length, 1);
    stack.restart(old);
    await waitUntil('the restarted instance rejoins as a follower', async () => {
      const s = await stack.status(old);
      return s?.cluster.leader === stack.instances[next]!.id && s.cluster.members.length === 3;
    });
  });

  await t.test('SIGTERM of the leader hands over at once (its election node deleted first)', async () => {
    const old = await stack.leader();
    const oldId = stack.instances[old]!.id;
    const code = await stack.instances[old]!.daemon.stop();
    assert.equal(code, 0);
    const others = stack.instances.map((_, i) => i).filter((i) => i !== old);
    // Its election node is gone the moment it exited (deleted, not left to expire with the session).
    const zk = new ZooKeeper({
      servers: stack.zk.servers.map((h) => ({ host: '127.0.0.1', port: Number(h.split(':')[1]) })),
      sessionTimeoutMs: 4000,
      logger: silentLogger(),
    });
    zk.start();
    try {
      await waitUntil('a ZooKeeper session', async () => zk.state === 'connected');
      const children = await zk.getChildren('/marathon-acme/leader');
      const ids = await Promise.all(
        children.map(async (c) => (await zk.getData(`/marathon-acme/leader/${c}`))?.toString()),
      );
      assert.equal(ids.includes(oldId), false, `no election node of ${oldId} left: ${ids.join(',')}`);
      assert.equal(children.length, 2);
    } finally {
      await zk.close();
    }
    const next = await stack.leader(30_000, others);
    stack.sim.apps.add(app('/ha/handover', labels('handover.ha.test')) as Record<string, unknown>);
    await stack.waitServed('handover.ha.test');
    assert.deepEqual(installedBy(stack, 'handover.ha.test'), [stack.instances[next]!.id]);
    assert.equal(stack.pebble.issuedCount(), names.length + 3, 'no name was issued twice');
    assert.equal(stack.newOrders(), names.length + 3, 'no name was ordered twice across the failovers');
  });
  await t.test('a rolling restart of every instance: no order repeated, no validation failed', async () => {
    // The instance stopped by the previous case comes back first.
    for (let i = 0; i < stack.instances.length; i += 1) {
      if ((await stack.status(i)) === undefined) stack.restart(i);
    }
    await waitUntil('three members', async () => (await stack.status(0))?.cluster.members.length === 3);
    const orders = stack.newOrders();
    const rolled: string[] = [];
    for (let i = 0; i < stack.instances.length; i += 1) {
      const name = `roll${i}.ha.test`;
      rolled.push(name);
      stack.sim.apps.add(app(`/ha/roll${i}`, labels(name)) as Record<string, unknown>);
      assert.equal(await stack.instances[i]!.daemon.stop(), 0);
      stack.restart(i);
      await stack.waitServed(name);
      await waitUntil(
        `instance ${i} back in the election`,
        async () => (await stack.status(i))?.cluster.members.length === 3,
      );
    }
    assert.equal(stack.newOrders(), orders + rolled.length, 'one order per new name, none repeated');
    for (const inst of stack.instances) {
      const failed = inst.daemon.logs.filter((l) => l.msg === 'certificate order failed');
      assert.deepEqual(failed, [], `${inst.id}: no order failed (every challenge was answered)`);
    }
  });
});

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
