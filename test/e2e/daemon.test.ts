/**
 * The daemon end to end, with every real component this machine can run: the Marathon simulator,
 * marathon-acme as a child process, Pebble validating HTTP-01 through HAProxy, the marathon-lb
 * stand-in reloading HAProxy, and TLS handshakes against what HAProxy serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { startStack, app, type Stack } from '../support/stack.js';
import { probeTls } from '../support/tls-probe.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test('issue, serve, remove, renew, survive a CA outage', { timeout: 240_000 }, async (t) => {
  const stack: Stack = await startStack({
    apps: [
      app('/e2e/a', labels('a.e2e.test')),
      app('/e2e/b', labels('b.e2e.test')),
      app('/e2e/c', labels('c.e2e.test')),
    ],
    // 40-second certificates make renewal observable; short grace and backoff make removal and recovery so.
    pebble: { certificateValidityPeriod: 40 },
    daemonArgs: ['--remove-after', '3', '--backoff-min', '1', '--backoff-max', '4', '--resync-interval', '30'],
  });
  t.after(() => stack.stop());

  await t.test('certificates are issued and HAProxy serves them, verified with SNI', async () => {
    for (const name of ['a.e2e.test', 'b.e2e.test', 'c.e2e.test']) {
      const c = await stack.waitServed(name);
      assert.equal(c.authorized, true);
      assert.deepEqual(c.altNames, [name]);
    }
    const defaultPem = readFileSync(join(stack.storageDir, 'default.pem'), 'utf8');
    const noSni = await probeTls(stack.haproxy.httpsPort, { insecureFingerprintOnly: true });
    assert.equal(noSni.fingerprint256, new X509Certificate(defaultPem).fingerprint256, 'no SNI gets default.pem');
    assert.ok(
      stack.mlb.calls.length < 3,
      `one marathon-lb signal per batch, not per certificate (got ${stack.mlb.calls.length})`,
    );
    assert.ok(stack.mlb.calls.every((c) => c.method === 'POST' && c.path === '/_mlb_signal/usr1'));
  });

  await t.test('health, metrics and status tell the truth', async () => {
    const health = await fetch(`${stack.daemonUrl}/health`);
    assert.equal(health.status, 200, await health.clone().text());
    const metrics = await (await fetch(`${stack.daemonUrl}/metrics`)).text();
    assert.match(metrics, /marathon_acme_certificate_expiry_timestamp_seconds\{domain="a\.e2e\.test"\} \d+/);
    assert.match(metrics, /marathon_acme_orders_total\{result="success",problem_type=""\} [3-9]/);
    const status = (await (await fetch(`${stack.daemonUrl}/status`)).json()) as {
      certificates: Array<{ name: string; state: string; requestedBy: Array<{ appId: string }> }>;
    };
    const a = status.certificates.find((c) => c.name === 'a.e2e.test');
    assert.equal(a?.state, 'valid');
    assert.equal(a?.requestedBy[0]?.appId, '/e2e/a');
  });

  await t.test('an app that goes away loses its certificate after --remove-after', async () => {
    assert.ok(stack.sim.apps.remove('/e2e/c'));
    const file = join(stack.storageDir, 'certs', 'c.e2e.test.pem');
    await until('c.e2e.test archived', () => !existsSync(file));
    assert.ok(
      readdirSync(join(stack.storageDir, 'archive')).some((f) => f.startsWith('c.e2e.test.')),
      'moved to the archive, not deleted',
    );
    const defaultFp = new X509Certificate(readFileSync(join(stack.storageDir, 'default.pem'), 'utf8')).fingerprint256;
    await until(
      'HAProxy no longer serves c.e2e.test',
      async () =>
        (await probeTls(stack.haproxy.httpsPort, { servername: 'c.e2e.test', insecureFingerprintOnly: true }))
          .fingerprint256 === defaultFp,
    );
    await stack.daemon.waitForLog(
      (l) => l.msg === 'certificate removed' && l.domain === 'c.e2e.test',
      1000,
      'removal log',
    );
    // The others are untouched.
    assert.equal((await stack.served('a.e2e.test')).authorized, true);
  });

  await t.test('a short-lived certificate is renewed before it expires', async () => {
    const first = await stack.served('b.e2e.test');
    const renewed = await stack.waitServed('b.e2e.test', { notSerial: first.serial, timeoutMs: 60_000 });
    assert.equal(renewed.authorized, true);
    assert.ok(renewed.validTo > first.validTo);
    assert.ok(first.validTo.getTime() > Date.now() - 1000, 'renewed while the old one was still valid');
    await stack.daemon.waitForLog(
      (l) => l.msg === 'renewing certificate' && l.domain === 'b.e2e.test',
      1000,
      'renewal log',
    );
  });

  await t.test(
    'the CA going away: orders wait on a probe of it, nothing is charged, work resumes when it is back',
    async () => {
      // Before: each failed order cost the certificate a backoff (the first certificate came minutes
      // after the CA did). Now the outage is not the certificate's: it waits on a cheap probe of the CA.
      await stack.pebble.pause();
      stack.sim.apps.add(app('/e2e/d', labels('d.e2e.test')));
      await stack.daemon.waitForLog(
        (l) => l.msg === 'CA not available; orders wait for it',
        30_000,
        'orders waiting for the CA',
      );
      await sleep(6000);
      const orders = stack.daemon.logs.filter((l) => l.msg === 'ordering certificate' && l.domain === 'd.e2e.test');
      assert.ok(orders.length <= 2, `no order while the CA is down, only probes (${orders.length} orders)`);
      assert.equal(
        stack.daemon.logs.filter((l) => l.msg === 'certificate order failed' && l.domain === 'd.e2e.test').length,
        0,
        'not counted against the certificate',
      );
      assert.equal((await fetch(`${stack.daemonUrl}/.well-known/acme-challenge/ping`)).status, 200, 'still serving');
      const status = (await (await fetch(`${stack.daemonUrl}/status`)).json()) as {
        certificates: Array<{ name: string; state: string; failures: number; job?: string }>;
        gates: { ca: { state: string; cause?: { code: string } } };
      };
      const d = status.certificates.find((c) => c.name === 'd.e2e.test');
      assert.equal(d?.state, 'pending');
      assert.equal(d?.failures, 0);
      assert.match(d?.job ?? '', /waiting for the CA/);
      assert.equal(status.gates.ca.state, 'waiting');
      assert.match(status.gates.ca.cause?.code ?? '', /ACME_NETWORK|ACME_TIMEOUT/);
      await stack.pebble.resume();
      // A restarted Pebble has forgotten the account: the daemon must register again on its own.
      const served = await stack.waitServed('d.e2e.test', { timeoutMs: 60_000 });
      assert.equal(served.authorized, true);
      assert.equal(stack.daemon.logs.filter((l) => l.level === 'fatal').length, 0);
    },
  );

  await t.test('SIGHUP re-reads Marathon at once', async () => {
    const before = stack.sim.controls.appsRequestCount();
    process.kill(stack.daemon.pid, 'SIGHUP');
    await stack.daemon.waitForLog((l) => l.msg === 'SIGHUP: resyncing', 5000, 'SIGHUP log');
    await until('a re-list after SIGHUP', () => stack.sim.controls.appsRequestCount() > before, 5000);
  });

  await t.test('SIGTERM stops the daemon cleanly with status 0', async () => {
    const started = Date.now();
    assert.equal(await stack.daemon.stop(), 0);
    assert.ok(Date.now() - started < 10_000);
  });

  await t.test('after a restart, the certificates on disk are adopted, not ordered again', async () => {
    await stack.restartDaemon();
    const loaded = await stack.daemon.waitForLog((l) => l.msg === 'storage loaded', 15_000, 'storage loaded');
    assert.equal(loaded.certificates, 3, 'a, b and d are on disk');
    await stack.daemon.waitForLog((l) => l.msg === 'marathon snapshot read', 15_000, 'first snapshot');
    await sleep(2000);
    const fresh = stack.daemon.logs.filter((l) => l.msg === 'ordering certificate' && l.reason === 'no certificate');
    assert.deepEqual(fresh, [], 'nothing is issued from scratch after a restart');
    // d.e2e.test was issued after Pebble's restart, so it chains to Pebble's current root.
    assert.equal((await stack.served('d.e2e.test')).authorized, true);
    assert.equal(await stack.daemon.stop(), 0);
  });
});
