/**
 * Several CAs end to end (issue 13), with two real Pebbles (each its own root and TLS CA), both
 * validating HTTP-01 through HAProxy to the daemon: CA 0 requires External Account Binding and refuses
 * one name (its `domainBlocklist`); CA 1 takes what CA 0 cannot. HAProxy's certificates are checked
 * by TLS handshakes verified against the root of the CA that should have issued them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { app, startStack, type Stack } from '../support/stack.js';
import { probeTls } from '../support/tls-probe.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EAB_KID = 'kid-cas-e2e';
const EAB_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';

interface CertStatus {
  name: string;
  state: string;
  issuer?: string;
  serial?: string;
  failures: number;
  lastError?: { type?: string };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function certStatus(stack: Stack, name: string): Promise<CertStatus | undefined> {
  const status = (await (await fetch(`${stack.daemonUrl}/status`)).json()) as { certificates: CertStatus[] };
  return status.certificates.find((c) => c.name === name);
}

/** What HAProxy serves for `name`, verified against the current root of `pebble` (throws otherwise). */
async function servedBy(stack: Stack, name: string, which: 'first' | 'second') {
  const pebble = which === 'first' ? stack.pebble : stack.pebble2!;
  return probeTls(stack.haproxy.httpsPort, { servername: name, ca: await pebble.rootPem() });
}

test('two CAs: EAB at CA 0, fallback to CA 1 for a refused name and an outage, back to CA 0 at renewal', {
  timeout: 300_000,
}, async (t) => {
  const stack = await startStack({
    apps: [app('/cas/a', labels('a.cas.test'))],
    // 30-second certificates: renewals come every ~20 s, so "the next renewal" is observable.
    pebble: {
      certificateValidityPeriod: 30,
      eab: { [EAB_KID]: EAB_KEY },
      domainBlocklist: ['blocked.cas.test'],
    },
    secondPebble: { certificateValidityPeriod: 30 },
    daemonEnv: { MARATHON_ACME_ACME_0_EAB_KID: EAB_KID, MARATHON_ACME_ACME_0_EAB_HMAC_KEY: EAB_KEY },
    daemonArgs: ['--backoff-min', '2', '--backoff-max', '4', '--resync-interval', '30'],
  });
  t.after(() => stack.stop());
  const A = stack.pebble.directoryUrl;
  const B = stack.pebble2!.directoryUrl;

  await t.test('CA 0 requires EAB (given for CA 0 only) and issues; the issuing CA is recorded', async () => {
    await until('a.cas.test served from CA 0', () => servedBy(stack, 'a.cas.test', 'first'));
    const a = await until('a.cas.test valid', async () => {
      const c = await certStatus(stack, 'a.cas.test');
      return c?.state === 'valid' ? c : undefined;
    });
    assert.equal(a.issuer, A);
    const metrics = await (await fetch(`${stack.daemonUrl}/metrics`)).text();
    assert.ok(metrics.includes(`marathon_acme_certificates_by_issuer{issuer="${A}"} 1`), 'metric labelled by CA');
  });

  await t.test('a rejectedIdentifier at CA 0 (its domainBlocklist) is issued by CA 1', async () => {
    stack.sim.apps.add(app('/cas/blocked', labels('blocked.cas.test')));
    const served = await until('blocked.cas.test served from CA 1', () =>
      servedBy(stack, 'blocked.cas.test', 'second'),
    );
    assert.equal(served.authorized, true);
    assert.equal((await certStatus(stack, 'blocked.cas.test'))?.issuer, B);
    // CA 0 keeps client.key; CA 1 got its own account key under accounts/, 0600, outside certs/.
    assert.equal(statSync(join(stack.storageDir, 'client.key')).mode & 0o777, 0o600);
    const accounts = readdirSync(join(stack.storageDir, 'accounts'));
    assert.equal(accounts.length, 1);
    assert.match(accounts[0]!, /^127\.0\.0\.1_\d+-[0-9a-f]{12}$/);
    const key = join(stack.storageDir, 'accounts', accounts[0]!, 'client.key');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.notEqual(readFileSync(key, 'utf8'), readFileSync(join(stack.storageDir, 'client.key'), 'utf8'));
    assert.ok(
      stack.daemon.logs.some(
        (l) =>
          l.msg === 'order failed at a CA; trying the next CA' &&
          l.domain === 'blocked.cas.test' &&
          l.reason === 'rejected-identifier',
      ),
    );
  });

  await t.test('a validation failure at CA 0 is never tried at CA 1', async () => {
    // Pebble's DNS sends the validation to a loopback address nothing listens on: `connection`.
    await stack.pebble.addARecord('bad.cas.test', '127.0.0.2');
    await stack.pebble2!.addARecord('bad.cas.test', '127.0.0.2');
    stack.sim.apps.add(app('/cas/bad', labels('bad.cas.test')));
    const bad = await until('bad.cas.test failed', async () => {
      const c = await certStatus(stack, 'bad.cas.test');
      return c && c.failures >= 1 ? c : undefined;
    });
    assert.match(bad.lastError?.type ?? '', /connection|unauthorized|dns/);
    const asked = stack.daemon.logs.filter((l) => l.domain === 'bad.cas.test' && l.msg.endsWith('certificate'));
    assert.ok(asked.length >= 1, 'ordered');
    assert.ok(
      asked.every((l) => l.issuer === A),
      `only CA 0 asked: ${JSON.stringify(asked.map((l) => l.issuer))}`,
    );
    stack.sim.apps.remove('/cas/bad');
  });

  await t.test(
    'CA 0 stopped: a new certificate comes from CA 1, served and verified against its root; /health stays 200',
    async () => {
      await stack.pebble.pause();
      stack.sim.apps.add(app('/cas/d', labels('d.cas.test')));
      const served = await until('d.cas.test served from CA 1', () => servedBy(stack, 'd.cas.test', 'second'), 90_000);
      assert.equal(served.authorized, true);
      assert.equal((await certStatus(stack, 'd.cas.test'))?.issuer, B);
      const health = await fetch(`${stack.daemonUrl}/health`);
      const body = (await health.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
      assert.equal(health.status, 200, JSON.stringify(body));
      assert.equal(body.checks.ca?.ok, true, 'one CA answers');
      assert.equal(body.checks.ca_0?.ok, false);
      assert.ok(body.checks.ca_0?.detail.startsWith(A));
      assert.equal(body.checks.ca_1?.ok, true);
      const metrics = await (await fetch(`${stack.daemonUrl}/metrics`)).text();
      assert.ok(metrics.includes(`marathon_acme_ca_reachable{ca="${A}"} 0`), 'CA 0 down in the metrics');
      assert.ok(metrics.includes(`marathon_acme_ca_reachable{ca="${B}"} 1`));
    },
  );

  await t.test('CA 0 back: the next renewal of the certificate CA 1 issued comes from CA 0', async () => {
    await stack.pebble.resume();
    const d = await until(
      'd.cas.test renewed at CA 0',
      async () => {
        const c = await certStatus(stack, 'd.cas.test');
        return c?.issuer === A ? c : undefined;
      },
      90_000,
    );
    assert.equal(d.state, 'valid');
    await until('d.cas.test served from CA 0', () => servedBy(stack, 'd.cas.test', 'first'), 30_000);
  });
});
