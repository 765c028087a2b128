/**
 * High availability: kill -9 of the leader in the middle of an order. Pebble here sleeps before each
 * validation (as Let's Encrypt takes its time), so the order is still pending when the leader dies: the
 * new leader must resume it by URL from `<storage>/orders/<name>.json`, not order the name again.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHaStack } from '../support/ha-stack.js';
import { app } from '../support/stack.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('HA: the leader killed mid-order; the new leader resumes the order, never orders again', {
  timeout: 240_000,
}, async (t) => {
  // An empty PEBBLE_VA_NOSLEEP: Pebble's VA sleeps up to 5 s before validating.
  const stack = await startHaStack({
    sessionTimeout: 4,
    pebble: { env: { PEBBLE_AUTHZREUSE: '0', PEBBLE_VA_NOSLEEP: '' } },
  });
  t.after(() => stack.stop());
  const old = await stack.leader(60_000);
  const name = 'midorder.ha.test';
  stack.sim.apps.add(app('/ha/midorder', labels(name)) as Record<string, unknown>);
  const pending = join(stack.storageDir, 'orders', `${name}.json`);
  const deadline = Date.now() + 60_000;
  while (!existsSync(pending)) {
    if (Date.now() > deadline) throw new Error('the order was never persisted');
    await sleep(10);
  }
  assert.equal(statSync(pending).mode & 0o777, 0o600, 'the pending order (with its key) is private');
  process.kill(stack.instances[old]!.daemon.pid, 'SIGKILL');
  const ordersAtKill = stack.newOrders();
  assert.equal(ordersAtKill, 1);
  const next = await stack.leader(
    60_000,
    stack.instances.map((_, i) => i).filter((i) => i !== old),
  );
  await stack.waitServed(name, 90_000);
  assert.equal(stack.newOrders(), 1, 'Pebble accepted one order for the name, across the failover');
  assert.equal(stack.pebble.issuedCount(), 1);
  const resumed = stack.instances[next]!.daemon.logs.some(
    (l) => l.msg === 'acme pending order resumed' && l.domain === name,
  );
  const installedByNext = stack.instances[next]!.daemon.logs.some(
    (l) => l.msg === 'certificate installed' && l.domain === name,
  );
  assert.ok(resumed || !installedByNext, 'the new leader resumed the pending order');
  await sleep(500);
  assert.equal(existsSync(pending), false, 'the finished order is forgotten');
});
