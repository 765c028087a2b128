/**
 * Pebble configurations beyond the defaults: External Account Binding (Pebble's EAB example config) and
 * 90% badNonce injection (issue 15: with a small retry count not one of 5 certificates was issued).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { AcmeError, AcmeIssuer, ACME_CODES } from '../../../src/acme/index.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import { startPebble, type PebbleInstance } from '../../support/pebble.js';
import { startHttp01Server, type Http01Server } from '../../support/http01-server.js';
import { MemoryKeyStore, opensslVerify, uniqueName } from '../../support/acme-helpers.js';

/** The MAC keys of /usr/share/doc/pebble/examples/pebble-config-external-account-bindings.json. */
const EXAMPLE_EAB = {
  'kid-1': 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W',
  'kid-2': 'b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH',
};

describe('Pebble requiring External Account Binding', () => {
  let pebble: PebbleInstance;
  let web: Http01Server;
  before(async () => {
    pebble = await startPebble({ eab: EXAMPLE_EAB });
    web = await startHttp01Server(pebble.httpPort);
  });
  after(async () => {
    await web?.close();
    await pebble?.stop();
  });
  const issuer = (eab?: { kid: string; hmacKey: string }): AcmeIssuer =>
    new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      ca: pebble.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [web.solver],
      logger: silentLogger(),
      ...(eab ? { eab } : {}),
    });

  it('announces the requirement and refuses to register without EAB credentials', async () => {
    const a = issuer();
    assert.equal((await a.directoryMeta(AbortSignal.timeout(5000))).externalAccountRequired, true);
    const err = await a.accountUrl(AbortSignal.timeout(5000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError && err.code === ACME_CODES.eabRequired, String(err));
    a.close();
  });

  it('registers with a valid binding and issues a certificate', async () => {
    const a = issuer({ kid: 'kid-1', hmacKey: EXAMPLE_EAB['kid-1'] });
    const cert = await a.issue({ names: [uniqueName('eab')], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    assert.match(opensslVerify(await pebble.rootPem(), cert.chainPem, cert.certPem), /OK/);
    a.close();
  });

  it('reports a wrong MAC key as a typed ACME problem', async () => {
    const a = issuer({ kid: 'kid-2', hmacKey: EXAMPLE_EAB['kid-1'] });
    const err = await a.accountUrl(AbortSignal.timeout(5000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AcmeError, String(err));
    // Pebble answers 403 unauthorized for a MAC that does not verify.
    assert.equal(err.status, 403);
    assert.equal(err.type, 'unauthorized');
    assert.ok(err.detail.length > 0);
    a.close();
  });
});

describe('Pebble rejecting 90% of nonces', () => {
  let pebble: PebbleInstance;
  let web: Http01Server;
  before(async () => {
    pebble = await startPebble({ env: { PEBBLE_WFE_NONCEREJECT: '90' } });
    web = await startHttp01Server(pebble.httpPort);
  });
  after(async () => {
    await web?.close();
    await pebble?.stop();
  });

  it('still registers, issues 5 certificates (one SAN) and revokes, retrying badNonce with fresh nonces', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const a = new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      ca: pebble.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [web.solver],
      logger: silentLogger(),
      metrics,
    });
    const root = await pebble.rootPem();
    let issued = 0;
    for (let i = 0; i < 5; i++) {
      const names = i === 0 ? [uniqueName('nonce-a'), uniqueName('nonce-b')] : [uniqueName('nonce')];
      const cert = await a.issue({ names, keyType: 'ec256' }, AbortSignal.timeout(60_000));
      assert.match(opensslVerify(root, cert.chainPem, cert.certPem), /OK/);
      issued++;
      if (i === 0) await a.revoke(cert.certPem, 4, AbortSignal.timeout(30_000));
    }
    a.close();
    assert.equal(issued, 5);
    const m = (await metrics.acmeRequestDuration.get()).values.filter((v) => v.metricName?.endsWith('_count'));
    const rejected = m.filter((v) => v.labels['status'] === '400').reduce((n, v) => n + v.value, 0);
    const posts = m.reduce((n, v) => n + v.value, 0);
    assert.ok(rejected > 40, `badNonce answers were seen and retried (${rejected} of ${posts} requests)`);
  });
});

describe('Pebble with short-lived certificates and an alternate root', () => {
  let pebble: PebbleInstance;
  let web: Http01Server;
  before(async () => {
    pebble = await startPebble({ certificateValidityPeriod: 300, env: { PEBBLE_ALTERNATE_ROOTS: '1' } });
    web = await startHttp01Server(pebble.httpPort);
  });
  after(async () => {
    await web?.close();
    await pebble?.stop();
  });

  it("issues 5-minute certificates and picks the alternate chain by its root's CN", async () => {
    const a = new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      ca: pebble.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [web.solver],
      logger: silentLogger(),
    });
    const altRootPem = (await pebble.management('/roots/1')).body;
    const altRootCn = /CN=([^\n,]+)/.exec(new X509Certificate(altRootPem).subject)?.[1];
    const defaultRootCn = /CN=([^\n,]+)/.exec(new X509Certificate(await pebble.rootPem()).subject)?.[1];
    assert.ok(altRootCn && defaultRootCn && altRootCn !== defaultRootCn);

    const def = await a.issue({ names: [uniqueName('short')], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    const leaf = new X509Certificate(def.certPem);
    const lifetimeS = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000;
    assert.ok(lifetimeS >= 299 && lifetimeS <= 301, `lifetime ${lifetimeS} s`);
    assert.match(opensslVerify(await pebble.rootPem(), def.chainPem, def.certPem), /OK/);

    const alt = await a.issue(
      { names: [uniqueName('alt')], keyType: 'ec256', preferredChain: altRootCn },
      AbortSignal.timeout(20_000),
    );
    assert.match(opensslVerify(altRootPem, alt.chainPem, alt.certPem), /OK/);
    const defaultRoot = await pebble.rootPem();
    assert.throws(
      () => opensslVerify(defaultRoot, alt.chainPem, alt.certPem),
      'the alternate chain does not lead to the default root',
    );
    a.close();
  });
});
