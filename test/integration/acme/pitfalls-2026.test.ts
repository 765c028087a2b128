/**
 * The ACME pitfalls of 2026 (issue 15 point 8, landscape-2026-12 §1) against the in-repo ACME test
 * server, which offers what Debian's Pebble 2.4 cannot: 409 alreadyReplaced on an ARI renewal, Let's
 * Encrypt's account pause, challenge types the client does not know (dns-persist-01 has no token),
 * Retry-After as an HTTP-date, and Let's Encrypt's longer Gen Y chains.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { AcmeError, AcmeIssuer, ACME_CODES, certIdOf } from '../../../src/acme/index.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { Http01Solver } from '../../../src/solvers/http01.js';
import { startAcmeTestServer, type AcmeTestServer } from '../../support/acme-test-server.js';
import { MemoryKeyStore } from '../../support/acme-helpers.js';

const timeout = (): AbortSignal => AbortSignal.timeout(10_000);

function issuerFor(server: AcmeTestServer): AcmeIssuer {
  return new AcmeIssuer({
    directoryUrl: server.directoryUrl,
    ca: server.caPem,
    accountKey: new MemoryKeyStore(),
    solvers: [new Http01Solver()],
    logger: silentLogger(),
    orderTimeoutMs: 10_000,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
}

describe('the 2026 pitfalls', () => {
  let server: AcmeTestServer;
  let issuer: AcmeIssuer;
  before(async () => {
    server = await startAcmeTestServer();
  });
  after(async () => {
    issuer?.close();
    await server?.close();
  });
  beforeEach(() => {
    server.behaviour = {};
    issuer?.close();
    issuer = issuerFor(server);
  });

  it('409 alreadyReplaced on an ARI renewal: ordered again at once without `replaces`', async () => {
    const old = await issuer.issue({ names: ['renew.example'], keyType: 'ec256' }, timeout());
    server.behaviour.alreadyReplaced = true;
    const before = server.newOrders.length;
    const replaces = certIdOf(old.certPem);
    const cert = await issuer.issue({ names: ['renew.example'], keyType: 'ec256', replaces }, timeout());
    assert.ok(new X509Certificate(cert.certPem).subject.includes('renew.example'));
    const sent = server.newOrders.slice(before);
    assert.deepEqual(
      sent.map((p) => p['replaces']),
      [replaces, undefined],
      'one refused order with replaces, then one without',
    );
  });

  it('alreadyReplaced without `replaces` sent is not retried (nothing to drop)', async () => {
    server.behaviour.alreadyReplaced = true;
    server.behaviour.rateLimitSeconds = 60;
    const before = server.newOrders.length;
    const err = await failure(issuer.issue({ names: ['plain.example'], keyType: 'ec256' }, timeout()));
    assert.ok(err instanceof AcmeError && err.type === 'rateLimited');
    assert.equal(server.newOrders.length - before, 1);
  });

  it("Let's Encrypt's pause: an AcmeError with paused and the unpause URL, never retried", async () => {
    server.behaviour.paused = ['zombie.example'];
    const before = server.newOrders.length;
    const err = await failure(
      issuer.issue({ names: ['zombie.example', 'other.example'], keyType: 'ec256' }, timeout()),
    );
    assert.ok(err instanceof AcmeError, String(err));
    assert.equal(err.type, 'rateLimited');
    assert.equal(err.paused, true);
    assert.match(err.unpauseUrl ?? '', /^https:\/\/portal\.test-ca\.example\/sfe\/v1\/unpause\?jwt=[\w-]+$/);
    assert.equal(err.retryAfter, undefined, 'waiting does not lift a pause');
    assert.equal(server.newOrders.length - before, 1);
  });

  it('an ordinary rate limit is not a pause', async () => {
    server.behaviour.rateLimitSeconds = 30;
    const err = await failure(issuer.issue({ names: ['busy.example'], keyType: 'ec256' }, timeout()));
    assert.ok(err instanceof AcmeError && err.paused === false && err.unpauseUrl === undefined);
  });

  it('challenge types it does not know (dns-persist-01 without a token, junk) are ignored', async () => {
    server.behaviour.extraChallenges = true;
    const cert = await issuer.issue({ names: ['persist.example'], keyType: 'ec256' }, timeout());
    assert.ok(cert.certPem.includes('BEGIN CERTIFICATE'));
    assert.ok(!server.log.some((l) => l.path.startsWith('/chall-persist/')), 'the unknown challenge was not touched');
  });

  it('an http-01 token that is not base64url is never served: no usable challenge', async () => {
    server.behaviour.httpToken = '../../etc/passwd';
    const err = await failure(issuer.issue({ names: ['token.example'], keyType: 'ec256' }, timeout()));
    assert.ok(err instanceof AppError && err.code === ACME_CODES.noSolver, String(err));
  });

  it('badNonce retries are bounded by time, not by a small count: 40 rejections in a row still succeed', async () => {
    server.behaviour.rejectNonces = 40;
    const cert = await issuer.issue({ names: ['nonces.example'], keyType: 'ec256' }, timeout());
    assert.ok(cert.certPem.includes('BEGIN CERTIFICATE'));
    assert.deepEqual(server.reusedNonces, [], 'a fresh nonce every time');
  });

  it('a CA rejecting every nonce fails the request once its time budget is spent', async () => {
    server.behaviour.rejectNonces = 1_000_000;
    const tight = new AcmeIssuer({
      directoryUrl: server.directoryUrl,
      ca: server.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [new Http01Solver()],
      logger: silentLogger(),
      badNonceBudgetMs: 1500,
    });
    try {
      const t0 = Date.now();
      const err = await failure(tight.issue({ names: ['never.example'], keyType: 'ec256' }, timeout()));
      assert.ok(err instanceof AcmeError && err.type === 'badNonce', String(err));
      assert.ok(Date.now() - t0 >= 1500, 'retried for the whole budget');
      assert.deepEqual(server.reusedNonces, []);
    } finally {
      tight.close();
    }
  });

  it('Retry-After as an HTTP-date, on a rate limit and on a 5xx', async () => {
    server.behaviour.retryAfterHttpDate = true;
    server.behaviour.rateLimitSeconds = 600;
    const t0 = Date.now();
    const limited = await failure(issuer.issue({ names: ['dated.example'], keyType: 'ec256' }, timeout()));
    assert.ok(limited instanceof AcmeError && limited.retryAfter, String(limited));
    assert.ok(Math.abs(limited.retryAfter.getTime() - (t0 + 600_000)) < 5000, limited.retryAfter.toISOString());
    server.behaviour = { retryAfterHttpDate: true, newOrderStatus: 503 };
    const t1 = Date.now();
    const down = await failure(issuer.issue({ names: ['dated.example'], keyType: 'ec256' }, timeout()));
    assert.ok(down instanceof AcmeError && down.retryAfter, String(down));
    assert.ok(Math.abs(down.retryAfter.getTime() - (t1 + 7000)) < 5000, down.retryAfter.toISOString());
  });
});

describe("Let's Encrypt's Gen Y chains: EE ← YE1 ← Root YE ← ISRG Root X2 ← ISRG Root X1", () => {
  let server: AcmeTestServer;
  let issuer: AcmeIssuer;
  before(async () => {
    server = await startAcmeTestServer({ genY: true });
    issuer = issuerFor(server);
  });
  after(async () => {
    issuer?.close();
    await server?.close();
  });
  const chainIssuers = (pem: string): string[] =>
    (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
      (c) => /CN=([^\n,]+)/.exec(new X509Certificate(c).issuer)?.[1] ?? '',
    );

  it('offers three chains, the default the longest', () => {
    assert.deepEqual(server.tops, ['ISRG Root X1 (test)', 'ISRG Root X2 (test)', 'Root YE (test)']);
  });

  const cases: Array<[string, string | undefined, string[]]> = [
    ['no preference: the default', undefined, ['Root YE (test)', 'ISRG Root X2 (test)', 'ISRG Root X1 (test)']],
    ['the top of the default', 'ISRG Root X1 (test)', ['Root YE (test)', 'ISRG Root X2 (test)', 'ISRG Root X1 (test)']],
    [
      'X2: inside the default, but the top of a shorter alternate — the alternate',
      'ISRG Root X2 (test)',
      ['Root YE (test)', 'ISRG Root X2 (test)'],
    ],
    ['Root YE: the top of the shortest alternate', 'Root YE (test)', ['Root YE (test)']],
    [
      'YE1: the top of no chain, but inside the default — the default',
      'YE1 (test)',
      ['Root YE (test)', 'ISRG Root X2 (test)', 'ISRG Root X1 (test)'],
    ],
    ['a name in no chain: the default', 'Nobody', ['Root YE (test)', 'ISRG Root X2 (test)', 'ISRG Root X1 (test)']],
  ];
  for (const [name, preferredChain, wantIssuers] of cases) {
    it(name, async () => {
      const cert = await issuer.issue(
        { names: ['geny.example'], keyType: 'ec256', ...(preferredChain ? { preferredChain } : {}) },
        timeout(),
      );
      assert.equal(chainIssuers(cert.certPem)[0], 'YE1 (test)');
      assert.deepEqual(chainIssuers(cert.chainPem), wantIssuers);
    });
  }
});

describe('a preferred issuer inside an alternate chain, at the top of none', () => {
  it('picks that alternate over the default (match on any issuer of the chain)', async () => {
    const server = await startAcmeTestServer({ genY: 'short-default' });
    const issuer = issuerFor(server);
    try {
      assert.deepEqual(server.tops, ['Root YE (test)', 'ISRG Root X1 (test)']);
      const cert = await issuer.issue(
        { names: ['inside.example'], keyType: 'ec256', preferredChain: 'ISRG Root X2 (test)' },
        timeout(),
      );
      assert.equal((cert.chainPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, 'the long alternate');
    } finally {
      issuer.close();
      await server.close();
    }
  });
});
