/**
 * The switch between CAs (issue 13), as an operator does it from staging to production: the daemon
 * runs against Pebble A, is stopped, and is started again with `--acme` naming Pebble B only. Every
 * certificate is replaced by one that verifies against B's root, and HAProxy serves a valid certificate
 * for every name at every moment of the switch (a TLS handshake per name every 0.5 s, verified against
 * A's or B's root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, startStack } from '../support/stack.js';
import { probeTls } from '../support/tls-probe.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAMES = ['one.switch.test', 'two.switch.test', 'three.switch.test'];

test('--acme switched from CA A to CA B: every certificate replaced, a valid one served throughout', {
  timeout: 240_000,
}, async (t) => {
  const stack = await startStack({
    apps: NAMES.map((n, i) => app(`/switch/${i}`, labels(n))),
    pebble: {},
    secondPebble: {},
    acme: ['first'],
    daemonArgs: ['--backoff-min', '2', '--backoff-max', '4'],
  });
  t.after(() => stack.stop());
  const rootA = await stack.pebble.rootPem();
  const rootB = await stack.pebble2!.rootPem();
  const B = stack.pebble2!.directoryUrl;

  for (const name of NAMES) {
    for (let i = 0; ; i++) {
      const ok = await probeTls(stack.haproxy.httpsPort, { servername: name, ca: rootA }).catch(() => undefined);
      if (ok) break;
      if (i > 240) assert.fail(`${name} never served from A`);
      await sleep(250);
    }
  }

  // Every 0.5 s, for every name: a handshake verified against A's or B's root (default.pem, an expired
  // or a wrong certificate would fail it).
  const failures: string[] = [];
  let probes = 0;
  let probing = true;
  const prober = (async () => {
    while (probing) {
      for (const name of NAMES) {
        probes++;
        await probeTls(stack.haproxy.httpsPort, { servername: name, ca: [rootA, rootB] }).then(
          (c) => {
            if (!c.authorized || !c.altNames.includes(name)) failures.push(`${name}: ${c.authorizationError}`);
          },
          (err: Error) => failures.push(`${name}: ${err.message}`),
        );
      }
      await sleep(500);
    }
  })();

  const switchedAt = Date.now();
  await stack.restartDaemonWithCas(['second']);
  for (const name of NAMES) {
    for (let i = 0; ; i++) {
      const ok = await probeTls(stack.haproxy.httpsPort, { servername: name, ca: rootB }).catch(() => undefined);
      if (ok) break;
      if (i > 360) assert.fail(`${name} never replaced by a certificate from B`);
      await sleep(250);
    }
  }
  const replacedMs = Date.now() - switchedAt;
  await sleep(1000);
  probing = false;
  await prober;
  t.diagnostic(
    `switch: ${NAMES.length} certificates replaced ${replacedMs} ms after the restart began; ${probes} handshakes, ${failures.length} failed`,
  );

  assert.deepEqual(failures, [], 'a valid certificate served at every moment');
  assert.ok(probes >= 6, `probed throughout (${probes} handshakes)`);
  const status = (await (await fetch(`${stack.daemonUrl}/status`)).json()) as {
    certificates: Array<{ name: string; issuer?: string; state: string }>;
  };
  for (const name of NAMES) {
    const c = status.certificates.find((x) => x.name === name);
    assert.equal(c?.issuer, B, `${name} recorded as issued by B`);
    assert.equal(c?.state, 'valid');
  }
  const replaced = stack.daemon.logs.filter(
    (l) => l.msg === 'ordering certificate' && l.reason === 'issuing CA no longer configured',
  );
  assert.deepEqual(replaced.map((l) => l.domain).sort(), [...NAMES].sort(), 'each replacement logged with its reason');
});
