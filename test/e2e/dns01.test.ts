/**
 * DNS-01 end to end: the daemon (a child process) with `--dns-provider rfc2136` updates a real bind9
 * (TSIG, update-policy) that is also Pebble's resolver (`-dnsserver`), so Pebble's VA really resolves
 * the TXT records; HAProxy serves the certificates, checked by TLS handshakes with SNI against Pebble's
 * root. Names whose A record (127.0.0.2) has no HTTP server can only be validated by DNS-01.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBind9 } from '../support/bind9.js';
import { startUnbound } from '../support/unbound.js';
import { app, startStack } from '../support/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('DNS-01 with RFC 2136 on bind9: wildcard + base SAN, label wildcard, label and zone choice, CNAME delegation, failures in /status', {
  timeout: 240_000,
}, async (t) => {
  const bind = await startBind9({
    zones: [
      {
        name: 'example.test',
        records: [
          'delegated IN A 127.0.0.2',
          '_acme-challenge.delegated IN CNAME d1.other.test.',
          'dnsonly IN A 127.0.0.2',
          '*.internal IN A 127.0.0.2',
          '*.labels IN A 127.0.0.2',
          'apps IN A 127.0.0.1',
          '*.apps IN A 127.0.0.1',
        ],
      },
      { name: 'other.test' },
      { name: 'locked.test', noUpdate: true },
    ],
  });
  t.after(() => bind.stop());
  // Pebble's resolver does not follow a CNAME into another zone, Let's Encrypt's do: unbound stands for them.
  const resolver = await startUnbound({
    upstreamPort: bind.port,
    zones: ['example.test', 'other.test', 'locked.test'],
  });
  t.after(() => resolver.stop());
  const stack = await startStack({
    apps: [
      app('/dns/wild', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '*.labels.example.test' }),
      app('/dns/label', {
        HAPROXY_GROUP: 'external',
        MARATHON_ACME_0_DOMAIN: 'dnsonly.example.test',
        MARATHON_ACME_0_CHALLENGE: 'dns-01',
      }),
      app('/dns/zone', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'svc.internal.example.test' }),
      app('/dns/cname', {
        HAPROXY_GROUP: 'external',
        MARATHON_ACME_0_DOMAIN: 'delegated.example.test',
        MARATHON_ACME_0_CHALLENGE: 'dns-01',
      }),
      app('/dns/locked', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '*.locked.test' }),
    ],
    pebble: { dnsServer: resolver.address },
    daemonArgs: [
      '--dns-provider',
      'rfc2136',
      '--dns-zones',
      'internal.example.test',
      '--dns-resolvers',
      resolver.address,
      '--domains',
      '*.apps.example.test,apps.example.test',
      '--backoff-min',
      '60',
    ],
    daemonEnv: {
      RFC2136_NAMESERVER: bind.address,
      RFC2136_TSIG_KEY: bind.keyName,
      RFC2136_TSIG_SECRET: bind.secret,
      RFC2136_TSIG_ALGORITHM: 'hmac-sha256.',
      RFC2136_POLLING_INTERVAL: '1',
      RFC2136_PROPAGATION_TIMEOUT: '20',
    },
  });
  t.after(() => stack.stop());
  t.after(() => {
    if (process.env.DNS01_DEBUG)
      for (const l of stack.daemon.logs) if (l.level !== 'info' && l.level !== 'debug') console.log(JSON.stringify(l));
  });

  // The base name is not under --dns-zones: it is validated by HTTP-01 in the same order as the wildcard's DNS-01.
  await t.test(
    'a wildcard + base name SAN certificate is served by HAProxy for anything.apps.example.test',
    async () => {
      const c = await stack.waitServed('anything.apps.example.test', {
        names: ['*.apps.example.test', 'apps.example.test'],
      });
      assert.equal(c.authorized, true);
      assert.deepEqual([...c.altNames].sort(), ['*.apps.example.test', 'apps.example.test']);
      const base = await stack.waitServed('apps.example.test', { names: ['apps.example.test'] });
      assert.equal(base.serial, c.serial);
      assert.ok(
        existsSync(join(stack.storageDir, 'certs', '_.apps.example.test.pem')),
        'wildcard file is _.<base>.pem',
      );
    },
  );

  await t.test('a wildcard from a Marathon label, and names the label or --dns-zones send to DNS-01', async () => {
    const wild = await stack.waitServed('x.labels.example.test', { names: ['*.labels.example.test'] });
    assert.equal(wild.authorized, true);
    // These names resolve to 127.0.0.2, where nothing answers HTTP-01: only DNS-01 can have validated them.
    assert.equal((await stack.waitServed('dnsonly.example.test')).authorized, true);
    assert.equal((await stack.waitServed('svc.internal.example.test')).authorized, true);
  });

  await t.test(
    'a CNAME-delegated _acme-challenge: the value goes to the target zone, validated through the CNAME',
    async () => {
      const c = await stack.waitServed('delegated.example.test');
      assert.equal(c.authorized, true);
      const updates = bind
        .log()
        .filter((l) => /updating zone 'other\.test\/IN': adding an RR at 'd1\.other\.test' TXT/.test(l));
      assert.ok(
        updates.length > 0,
        `bind9 logged the update of the CNAME target: ${bind
          .log()
          .filter((l) => l.includes('updating'))
          .join('\n')}`,
      );
    },
  );

  await t.test('every TXT record the orders added is removed afterwards', async () => {
    for (const owner of [
      'd1.other.test',
      '_acme-challenge.apps.example.test',
      '_acme-challenge.labels.example.test',
      '_acme-challenge.dnsonly.example.test',
      '_acme-challenge.svc.internal.example.test',
    ]) {
      let left = await bind.txt(owner);
      for (let i = 0; i < 20 && left.length > 0; i++) {
        await sleep(250);
        left = await bind.txt(owner);
      }
      assert.deepEqual(left, [], owner);
    }
  });

  await t.test('a refused update shows in /status with its DNS code, and the daemon carries on', async () => {
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      status = await (await fetch(`${stack.daemonUrl}/status`)).text();
      if (status.includes('DNS_UPDATE_REFUSED')) break;
      await sleep(300);
    }
    assert.match(status, /DNS_UPDATE_REFUSED/);
    assert.match(status, /REFUSED/);
    assert.ok(!status.includes(bind.secret), '/status never shows the TSIG secret');
    assert.ok(!existsSync(join(stack.storageDir, 'certs', '_.locked.test.pem')));
    assert.ok(
      !stack.daemon.logs.some((l) => JSON.stringify(l).includes(bind.secret)),
      'logs never show the TSIG secret',
    );
  });
});
