/**
 * AcmeIssuer against a real Pebble with real HTTP-01 validation: accounts (new, reused, PKCS#1 RSA),
 * single and SAN certificates whose chain verifies against Pebble's root, failed validation, revocation,
 * key rollover, key types, cancellation, lost accounts after a Pebble restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { AcmeError, AcmeIssuer, ACME_CODES, certIdOf, createAccountKeyPem } from '../../../src/acme/index.js';
import { AppError, isAbortError } from '../../../src/lib/errors.js';
import { serializeErr, silentLogger } from '../../../src/lib/logger.js';
import { Http01Solver } from '../../../src/solvers/http01.js';
import type { Challenge, Solver } from '../../../src/domain/contracts.js';
import { startPebble, type PebbleInstance } from '../../support/pebble.js';
import { startHttp01Server, type Http01Server } from '../../support/http01-server.js';
import { MemoryKeyStore, opensslVerify, sanNames, uniqueName } from '../../support/acme-helpers.js';

describe('AcmeIssuer against Pebble', () => {
  let pebble: PebbleInstance;
  let web: Http01Server;

  before(async () => {
    pebble = await startPebble();
    web = await startHttp01Server(pebble.httpPort);
  });
  after(async () => {
    await web?.close();
    await pebble?.stop();
  });

  const makeIssuer = (
    keys = new MemoryKeyStore(),
    solver: Solver = web.solver,
    extra: Partial<ConstructorParameters<typeof AcmeIssuer>[0]> = {},
  ): AcmeIssuer =>
    new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      ca: pebble.caPem,
      accountKey: keys,
      email: 'ops@example.test',
      solvers: [solver],
      logger: silentLogger(),
      orderTimeoutMs: 20_000,
      ...extra,
    });

  it('registers a new account, stores a P-256 PKCS#8 key, and finds the same account again', async () => {
    const keys = new MemoryKeyStore();
    const a = makeIssuer(keys);
    const url1 = await a.accountUrl(AbortSignal.timeout(10_000));
    assert.equal(keys.writes, 1);
    assert.match(keys.pem!, /^-----BEGIN PRIVATE KEY-----/);
    const k = createPrivateKey(keys.pem!);
    assert.equal(k.asymmetricKeyType, 'ec');
    assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    a.close();
    const b = makeIssuer(keys);
    assert.equal(await b.accountUrl(AbortSignal.timeout(10_000)), url1);
    assert.equal(keys.writes, 1, 'an existing key is never rewritten');
    b.close();
  });

  it('reuses a PKCS#1 RSA 2048 key (as the Python marathon-acme wrote) and issues with it', async () => {
    const pem = execFileSync('openssl', ['genrsa', '-traditional', '2048'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----/);
    const keys = new MemoryKeyStore(pem);
    const a = makeIssuer(keys);
    const url1 = await a.accountUrl(AbortSignal.timeout(10_000));
    const name = uniqueName('rsa-account');
    const cert = await a.issue({ names: [name], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    assert.deepEqual(sanNames(cert.certPem), [name]);
    a.close();
    const b = makeIssuer(keys);
    assert.equal(await b.accountUrl(AbortSignal.timeout(10_000)), url1);
    assert.equal(keys.writes, 0);
    assert.equal(keys.pem, pem);
    b.close();
  });

  it("issues a single-name certificate whose chain verifies against Pebble's root", async () => {
    const issuer = makeIssuer();
    const name = uniqueName('single');
    const cert = await issuer.issue({ names: [name], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    issuer.close();
    assert.deepEqual(sanNames(cert.certPem), [name]);
    assert.match(cert.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.ok(cert.chainPem.includes('-----BEGIN CERTIFICATE-----'));
    const leaf = new X509Certificate(cert.certPem);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(cert.keyPem)), 'key matches the leaf');
    assert.match(opensslVerify(await pebble.rootPem(), cert.chainPem, cert.certPem), /OK/);
    assert.equal(web.solver.size, 0, 'every challenge answer was cleaned up');
  });

  it('issues a SAN certificate for several names, each key type', async () => {
    const issuer = makeIssuer();
    const root = await pebble.rootPem();
    for (const keyType of ['ec384', 'rsa2048'] as const) {
      const names = [uniqueName('san-a'), uniqueName('san-b'), uniqueName('san-c')];
      const cert = await issuer.issue({ names, keyType }, AbortSignal.timeout(20_000));
      assert.deepEqual(sanNames(cert.certPem), [...names].sort());
      const key = createPrivateKey(cert.keyPem);
      if (keyType === 'ec384') assert.equal(key.asymmetricKeyDetails?.namedCurve, 'secp384r1');
      else assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
      assert.match(opensslVerify(root, cert.chainPem, cert.certPem), /OK/);
    }
    issuer.close();
  });

  it('fails with a typed authorization error, not a hang, when nothing is served', async () => {
    const silent = new Http01Solver(); // presents answers nobody serves
    const issuer = makeIssuer(new MemoryKeyStore(), silent);
    const started = Date.now();
    const err = await issuer
      .issue({ names: [uniqueName('unserved')], keyType: 'ec256' }, AbortSignal.timeout(20_000))
      .then(
        () => assert.fail('issue should fail'),
        (e: unknown) => e,
      );
    issuer.close();
    assert.ok(err instanceof AcmeError, `AcmeError expected, got ${String(err)}`);
    assert.equal(err.code, ACME_CODES.authorizationFailed);
    assert.ok(['unauthorized', 'incorrectResponse', 'connection'].includes(err.type), `type ${err.type}`);
    assert.ok(err.detail.length > 0);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(silent.size, 0, 'cleanUp ran after the failure');
  });

  it('revokes a certificate with the account key', async () => {
    const issuer = makeIssuer();
    const cert = await issuer.issue({ names: [uniqueName('revoke')], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    await issuer.revoke(cert.certPem, 5, AbortSignal.timeout(10_000));
    const serial = new X509Certificate(cert.certPem).serialNumber.toLowerCase();
    const status = await pebble.management(`/cert-status-by-serial/${serial}`);
    assert.equal(status.status, 200);
    assert.match(status.body, /"Status":\s*"Revoked"/i);
    const again = await issuer.revoke(cert.certPem, 5, AbortSignal.timeout(10_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(again instanceof AcmeError && again.type === 'alreadyRevoked', `second revoke: ${String(again)}`);
    issuer.close();
  });

  it("revokes with the certificate's own key (jwk-signed, RFC 8555 §7.6) from a different account", async () => {
    const issuer = makeIssuer();
    const cert = await issuer.issue(
      { names: [uniqueName('revoke-key')], keyType: 'ec256' },
      AbortSignal.timeout(20_000),
    );
    issuer.close();
    const other = makeIssuer();
    const der = new X509Certificate(cert.certPem).raw;
    await other.client.revoke(der, 1, AbortSignal.timeout(10_000), cert.keyPem);
    const serial = new X509Certificate(cert.certPem).serialNumber.toLowerCase();
    assert.match((await pebble.management(`/cert-status-by-serial/${serial}`)).body, /"Status":\s*"Revoked"/i);
    other.close();
  });

  it('rolls the account key over and keeps the account', async () => {
    const keys = new MemoryKeyStore();
    const issuer = makeIssuer(keys);
    const url = await issuer.accountUrl(AbortSignal.timeout(10_000));
    const oldPem = keys.pem;
    const newPem = await issuer.client.keyChange(AbortSignal.timeout(10_000));
    assert.notEqual(newPem, oldPem);
    assert.equal(keys.pem, newPem, 'the new key is stored');
    // The same client keeps working with the new key...
    await issuer.issue({ names: [uniqueName('rolled')], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    issuer.close();
    // ...a fresh client with the stored key finds the same account...
    const fresh = makeIssuer(keys);
    assert.equal(await fresh.accountUrl(AbortSignal.timeout(10_000)), url);
    fresh.close();
    // ...and the old key no longer belongs to it.
    const old = makeIssuer(new MemoryKeyStore(oldPem));
    assert.notEqual(await old.accountUrl(AbortSignal.timeout(10_000)), url);
    old.close();
  });

  it('rolls the CA back to the old key when the new key cannot be stored', async () => {
    const oldPem = await createAccountKeyPem();
    const keys = new MemoryKeyStore(oldPem);
    const issuer = makeIssuer(keys);
    const url = await issuer.accountUrl(AbortSignal.timeout(10_000));
    keys.write = async () => {
      throw new Error('disk full');
    };
    const err = await issuer.client.keyChange(AbortSignal.timeout(10_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(
      err instanceof AppError && err.code === ACME_CODES.accountKey && /rolled back/.test(err.message),
      String(err),
    );
    assert.equal(keys.pem, oldPem, 'the stored key is unchanged');
    // The same client signs with the old key again, and the stored (old) key still finds the account.
    await issuer.issue({ names: [uniqueName('rolled-back')], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    issuer.close();
    const fresh = makeIssuer(new MemoryKeyStore(oldPem));
    assert.equal(await fresh.accountUrl(AbortSignal.timeout(10_000)), url);
    fresh.close();
  });

  it('keeps the new key in memory and tells the operator to save it when storing and rolling back both fail', async () => {
    const oldPem = await createAccountKeyPem();
    const newPem = await createAccountKeyPem();
    const keys = new MemoryKeyStore(oldPem);
    const issuer = makeIssuer(keys);
    const url = await issuer.accountUrl(AbortSignal.timeout(10_000));
    // While the write "fails", somebody registers an account with the (now free) old key: the reverse
    // keyChange must then be refused by the CA (the old key belongs to another account).
    let squatter: AcmeIssuer | undefined;
    keys.write = async () => {
      squatter = makeIssuer(new MemoryKeyStore(oldPem));
      await squatter.accountUrl(AbortSignal.timeout(10_000));
      throw new Error('disk full');
    };
    const err = await issuer.client.keyChange(AbortSignal.timeout(20_000), newPem).then(
      () => undefined,
      (e: unknown) => e,
    );
    squatter?.close();
    assert.ok(err instanceof AppError && err.code === ACME_CODES.accountKey, String(err));
    assert.match(err.message, /save the new key/);
    assert.equal(
      (err as unknown as { newKeyPem?: string }).newKeyPem,
      newPem,
      'the new key is on the error for the operator',
    );
    assert.ok(!Object.keys(err).includes('newKeyPem'), 'not enumerable');
    assert.ok(!JSON.stringify(serializeErr(err)).includes('PRIVATE KEY'), 'never logged');
    assert.ok(!err.message.includes('PRIVATE KEY'));
    assert.equal(keys.pem, oldPem);
    // The running client still holds the account, with the new key...
    assert.equal(await issuer.accountUrl(AbortSignal.timeout(5000)), url);
    await issuer.issue({ names: [uniqueName('new-key-in-memory')], keyType: 'ec256' }, AbortSignal.timeout(20_000));
    issuer.close();
    // ...which is the key the CA knows for it.
    const saved = makeIssuer(new MemoryKeyStore(newPem));
    assert.equal(await saved.accountUrl(AbortSignal.timeout(10_000)), url);
    saved.close();
  });

  it('rejects promptly with AbortError when cancelled mid-order, and cleans up', async () => {
    const solver = new Http01Solver();
    let presented!: () => void;
    const presentedP = new Promise<void>((r) => {
      presented = r;
    });
    const slow: Solver = {
      type: 'http-01',
      present: async (c: Challenge, s: AbortSignal) => {
        await solver.present(c, s);
        presented();
      },
      cleanUp: (c: Challenge) => solver.cleanUp(c),
    };
    // Nothing serves `solver`, and polling is slow, so the order would sit in pending for a while.
    const issuer = makeIssuer(new MemoryKeyStore(), slow, { pollInitialMs: 2000 });
    const ctl = new AbortController();
    const p = issuer.issue({ names: [uniqueName('cancel')], keyType: 'ec256' }, ctl.signal);
    await presentedP;
    const t0 = Date.now();
    ctl.abort();
    const err = await p.then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(isAbortError(err), `AbortError expected, got ${String(err)}`);
    assert.ok(Date.now() - t0 < 500, `rejected after ${Date.now() - t0} ms`);
    assert.equal(solver.size, 0, 'cleanUp ran on cancellation');
    issuer.close();
  });

  it('reports order timeouts as ACME_TIMEOUT', async () => {
    const issuer = makeIssuer(new MemoryKeyStore(), new Http01Solver(), { orderTimeoutMs: 300, pollInitialMs: 5000 });
    const err = await issuer
      .issue({ names: [uniqueName('timeout')], keyType: 'ec256' }, AbortSignal.timeout(20_000))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof AppError && err.code === ACME_CODES.timeout, `ACME_TIMEOUT expected, got ${String(err)}`);
    issuer.close();
  });

  it('reports status and directory meta', async () => {
    const issuer = makeIssuer();
    assert.equal(issuer.status().reachable, false, 'nothing fetched yet');
    const meta = await issuer.directoryMeta(AbortSignal.timeout(10_000));
    assert.equal(meta.renewalInfo, false, 'Pebble 2.4 has no ARI');
    assert.equal(meta.externalAccountRequired, false);
    assert.ok(meta.termsOfService);
    assert.equal(issuer.status().reachable, true);
    assert.equal(
      await issuer.renewalInfo(
        certIdOf(
          (await issuer.issue({ names: [uniqueName('ari')], keyType: 'ec256' }, AbortSignal.timeout(20_000))).certPem,
        ),
        AbortSignal.timeout(5000),
      ),
      null,
    );
    issuer.close();
  });

  it('reports an unreachable CA as ACME_NETWORK', async () => {
    const issuer = new AcmeIssuer({
      directoryUrl: 'https://127.0.0.1:1/dir',
      accountKey: new MemoryKeyStore(),
      solvers: [],
      logger: silentLogger(),
    });
    const err = await issuer.directoryMeta(AbortSignal.timeout(5000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError && err.code === ACME_CODES.network, String(err));
    assert.equal(issuer.status().reachable, false);
    assert.ok(issuer.status().lastError);
    issuer.close();
  });

  it('trusts the CA through NODE_EXTRA_CA_CERTS when no `ca` option is given', async () => {
    const index = new URL('../../../src/acme/index.js', import.meta.url).href;
    const logger = new URL('../../../src/lib/logger.js', import.meta.url).href;
    const script = `import { AcmeIssuer } from '${index}'; import { silentLogger } from '${logger}';
      const a = new AcmeIssuer({ directoryUrl: process.argv[1], accountKey: { read: async () => null, write: async () => {} }, solvers: [], logger: silentLogger() });
      const m = await a.directoryMeta(AbortSignal.timeout(5000)); a.close(); console.log(JSON.stringify(m));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, pebble.directoryUrl], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: pebble.caCertPath },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal((JSON.parse(out) as { renewalInfo: boolean }).renewalInfo, false);
  });

  it('refuses a server whose certificate it does not trust (TLS is verified)', async () => {
    const issuer = makeIssuer(new MemoryKeyStore(), web.solver, { ca: undefined });
    const err = await issuer.directoryMeta(AbortSignal.timeout(5000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError && err.code === ACME_CODES.network, String(err));
    issuer.close();
  });
});

describe('AcmeIssuer when the CA forgets the account', () => {
  it('registers again on accountDoesNotExist (Pebble keeps accounts in memory only) and completes the order', async () => {
    const keys = new MemoryKeyStore();
    const pebble = await startPebble();
    const web = await startHttp01Server(pebble.httpPort).catch(async (e: unknown) => {
      await pebble.stop();
      throw e;
    });
    try {
      const issuer = new AcmeIssuer({
        directoryUrl: pebble.directoryUrl,
        ca: pebble.caPem,
        accountKey: keys,
        solvers: [web.solver],
        logger: silentLogger(),
      });
      const url = await issuer.accountUrl(AbortSignal.timeout(10_000));
      // Make the cached account one this Pebble does not know, exactly what a restarted Pebble sees.
      const held = (issuer.client as unknown as { account: { cached: Promise<{ url: string; key: unknown }> } })
        .account;
      const acct = await held.cached;
      const stale = { url: url.replace(/\/[^/]+$/, '/0123456789abcdef'), key: acct.key };
      held.cached = Promise.resolve(stale);
      const cert = await issuer.issue(
        { names: [uniqueName('reregister')], keyType: 'ec256' },
        AbortSignal.timeout(20_000),
      );
      assert.ok(cert.certPem.includes('BEGIN CERTIFICATE'));
      assert.equal(await issuer.accountUrl(AbortSignal.timeout(5000)), url, 'the real account was found again');
      issuer.close();
    } finally {
      await web.close();
      await pebble.stop();
    }
  });
});
