/**
 * What Debian's Pebble 2.4 cannot show, against the in-repo RFC-following ACME test server: ARI
 * (RFC 9773), profiles, 429/5xx with Retry-After (never retried by the client), Retry-After while polling,
 * alternate chains, and nonce discipline on badNonce.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { AcmeError, AcmeIssuer, ACME_CODES, USER_AGENT } from '../../../src/acme/index.js';
import { AppError } from '../../../src/lib/errors.js';
import { createLogger, silentLogger, type Logger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import { readLeaf } from '../../../src/pki/x509.js';
import { Http01Solver } from '../../../src/solvers/http01.js';
import { startAcmeTestServer, type AcmeTestServer } from '../../support/acme-test-server.js';
import { MemoryKeyStore } from '../../support/acme-helpers.js';

const PROFILES = { classic: 'The same profile you are used to', shortlived: 'A short-lived certificate profile' };

describe('AcmeIssuer against the ACME test server', () => {
  let server: AcmeTestServer;
  let issuer: AcmeIssuer;
  let solver: Http01Solver;
  const make = (logger: Logger = silentLogger()): AcmeIssuer =>
    new AcmeIssuer({
      directoryUrl: server.directoryUrl,
      ca: server.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [solver],
      logger,
      orderTimeoutMs: 10_000,
    });

  before(async () => {
    server = await startAcmeTestServer({ profiles: PROFILES });
  });
  after(async () => {
    issuer?.close();
    await server?.close();
  });
  beforeEach(() => {
    server.behaviour = {};
    solver = new Http01Solver();
    issuer?.close();
    issuer = make();
  });
  const newOrders = (): AcmeTestServer['log'] => server.log.filter((l) => l.path === '/new-order');

  it('issues, computes (as the store reads a leaf) the RFC 9773 certID the server expects, and reads renewalInfo', async () => {
    const cert = await issuer.issue({ names: ['ari.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
    const serial = new X509Certificate(cert.certPem).serialNumber.toLowerCase();
    const expected = [...server.certIds.entries()].find(
      ([s]) => s.replace(/^00/, '') === serial.replace(/^00/, ''),
    )?.[1];
    assert.ok(expected);
    const certId = readLeaf(cert.certPem).certId;
    assert.equal(certId, expected);
    const start = new Date(Date.now() + 3_600_000);
    const end = new Date(Date.now() + 7_200_000);
    server.behaviour.ari = { start, end, explanationURL: 'https://ca.example/incident/1', retryAfterSeconds: 3600 };
    const info = await issuer.renewalInfo(certId, AbortSignal.timeout(5000));
    assert.ok(info);
    assert.equal(info.start.toISOString(), start.toISOString());
    assert.equal(info.end.toISOString(), end.toISOString());
    assert.equal(info.explanationUrl, 'https://ca.example/incident/1');
    assert.ok(info.retryAfterMs !== undefined && Math.abs(info.retryAfterMs - 3_600_000) < 5000);
    assert.equal((await issuer.directoryMeta(AbortSignal.timeout(5000))).renewalInfo, true);
  });

  it('sends `replaces` with the certID of the replaced certificate', async () => {
    const old = await issuer.issue({ names: ['replace.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
    const certId = readLeaf(old.certPem).certId;
    await issuer.issue({ names: ['replace.example'], keyType: 'ec256', replaces: certId }, AbortSignal.timeout(10_000));
    assert.equal((newOrders().at(-1)!.payload as { replaces?: string }).replaces, certId);
  });

  it('lists profiles and sends only a listed one; an unlisted one is omitted with a warning', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(c.toString());
        cb();
      },
    });
    issuer.close();
    issuer = make(createLogger({ level: 'warn', destination: sink }));
    assert.deepEqual((await issuer.directoryMeta(AbortSignal.timeout(5000))).profiles, PROFILES);
    await issuer.issue(
      { names: ['profile.example'], keyType: 'ec256', profile: 'shortlived' },
      AbortSignal.timeout(10_000),
    );
    assert.equal((newOrders().at(-1)!.payload as { profile?: string }).profile, 'shortlived');
    await issuer.issue(
      { names: ['profile2.example'], keyType: 'ec256', profile: 'tlsclient' },
      AbortSignal.timeout(10_000),
    );
    assert.equal('profile' in (newOrders().at(-1)!.payload as object), false);
    assert.ok(
      lines.some((l) => l.includes('acme profile not offered by the CA')),
      lines.join(''),
    );
  });

  it('surfaces 429 rateLimited with retryAfter, after exactly one newOrder request', async () => {
    await issuer.accountUrl(AbortSignal.timeout(5000));
    server.behaviour.rateLimitSeconds = 3600;
    const before = newOrders().length;
    const t0 = Date.now();
    const err = await issuer.issue({ names: ['limited.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AcmeError, String(err));
    assert.equal(err.code, ACME_CODES.problem);
    assert.equal(err.type, 'rateLimited');
    assert.equal(err.status, 429);
    assert.ok(err.url?.endsWith('/new-order'));
    assert.ok(err.retryAfter && Math.abs(err.retryAfter.getTime() - (t0 + 3_600_000)) < 5000, String(err.retryAfter));
    assert.equal(newOrders().length - before, 1, 'the client never loops on 429');
  });

  it('leaves outcomes to the caller: issued and failed orders log nothing at info or above', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(c.toString());
        cb();
      },
    });
    issuer.close();
    issuer = make(createLogger({ level: 'debug', destination: sink }));
    await issuer.issue({ names: ['quiet.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
    server.behaviour.rateLimitSeconds = 60;
    await assert.rejects(
      issuer.issue({ names: ['quiet2.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000)),
      AcmeError,
    );
    const records = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    const byMsg = (m: string) => records.filter((r) => r.msg === m);
    assert.equal(byMsg('acme certificate issued').length, 1, 'still logged, at debug');
    assert.equal(byMsg('acme order failed').length, 1, 'still logged, at debug');
    const loud = records.filter(
      (r) =>
        !['trace', 'debug'].includes(r.level) &&
        r.msg !== 'acme account key created' &&
        r.msg !== 'acme account registered',
    );
    assert.deepEqual(
      loud.map((r) => r.msg),
      [],
    );
    assert.ok([...byMsg('acme certificate issued'), ...byMsg('acme order failed')].every((r) => r.level === 'debug'));
  });

  it('surfaces 5xx with Retry-After without retrying', async () => {
    await issuer.accountUrl(AbortSignal.timeout(5000));
    server.behaviour.newOrderStatus = 503;
    const before = newOrders().length;
    const err = await issuer.issue({ names: ['down.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AcmeError && err.status === 503 && err.type === 'serverInternal', String(err));
    assert.ok(err.retryAfter);
    assert.equal(newOrders().length - before, 1);
  });

  it('reports a malformed order from the CA as ACME_BAD_RESPONSE', async () => {
    for (const broken of ['relative-location', 'no-finalize'] as const) {
      server.behaviour.brokenNewOrder = broken;
      const err = await issuer
        .issue({ names: [`${broken}.example`], keyType: 'ec256' }, AbortSignal.timeout(10_000))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(err instanceof AppError && err.code === ACME_CODES.badResponse, `${broken}: ${String(err)}`);
    }
  });

  it('retries every badNonce with the fresh nonce of the error response and never re-sends a nonce', async () => {
    server.behaviour.rejectFirstNonce = true;
    const sentBefore = server.badNoncesSent;
    const followedBefore = server.retriesWithCarriedNonce;
    const newNoncesBefore = server.log.filter((l) => l.path === '/new-nonce').length;
    await issuer.issue({ names: ['nonce1.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
    const injected = server.badNoncesSent - sentBefore;
    assert.ok(injected >= 6, `badNonce injected ${injected} times`);
    assert.equal(
      server.retriesWithCarriedNonce - followedBefore,
      injected,
      'each retry used the nonce its badNonce answer carried',
    );
    assert.deepEqual(server.reusedNonces, []);
    assert.equal(
      server.log.filter((l) => l.path === '/new-nonce').length - newNoncesBefore,
      1,
      'only the very first nonce came from newNonce',
    );
  });

  it('never re-sends a nonce with concurrent authorizations and badNonce everywhere', async () => {
    server.behaviour.rejectFirstNonce = true;
    await issuer.issue(
      { names: ['nonce2.example', 'nonce3.example', 'nonce4.example'], keyType: 'ec256' },
      AbortSignal.timeout(10_000),
    );
    assert.deepEqual(server.reusedNonces, []);
  });

  it('honours Retry-After while polling an authorization', async () => {
    server.behaviour.pendingPolls = { count: 1, retryAfterSeconds: 1 };
    const t0 = Date.now();
    await issuer.issue({ names: ['slow.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
    const ms = Date.now() - t0;
    assert.ok(ms >= 900, `waited only ${ms} ms`);
    assert.ok(ms < 4000, `took ${ms} ms`);
  });

  it("picks the alternate chain by the top certificate's issuer CN", async () => {
    const def = await issuer.issue({ names: ['chain.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
    const alt = await issuer.issue(
      { names: ['chain.example'], keyType: 'ec256', preferredChain: server.chains.alternateTop },
      AbortSignal.timeout(10_000),
    );
    const issuerCn = (pem: string): string => /CN=([^\n,]+)/.exec(new X509Certificate(pem).issuer)?.[1] ?? '';
    assert.equal(issuerCn(def.chainPem), server.chains.defaultTop);
    assert.equal(issuerCn(alt.chainPem), server.chains.alternateTop);
    const unknown = await issuer.issue(
      { names: ['chain.example'], keyType: 'ec256', preferredChain: 'Nobody' },
      AbortSignal.timeout(10_000),
    );
    assert.equal(issuerCn(unknown.chainPem), server.chains.defaultTop, 'falls back to the default chain');
  });

  it('skips a broken alternate chain and keeps the issued certificate with the default chain', async () => {
    const issuerCn = (pem: string): string => /CN=([^\n,]+)/.exec(new X509Certificate(pem).issuer)?.[1] ?? '';
    for (const broken of ['truncated', 'problem'] as const) {
      server.behaviour.brokenAlternate = broken;
      const cert = await issuer.issue(
        { names: [`broken-${broken}.example`], keyType: 'ec256', preferredChain: server.chains.alternateTop },
        AbortSignal.timeout(10_000),
      );
      assert.equal(issuerCn(cert.chainPem), server.chains.defaultTop, broken);
      assert.ok(
        server.log.some((l) => /^\/cert\/[^/]+\/1$/.test(l.path)),
        'the alternate was tried',
      );
    }
  });

  it('sends User-Agent marathon-acme/<version> on every request', async () => {
    await issuer.accountUrl(AbortSignal.timeout(5000));
    assert.ok(server.log.length > 0);
    for (const l of server.log) assert.equal(l.userAgent, USER_AGENT);
  });

  it('an order cancelled by its own budget is not a CA failure: status stays reachable, requests are labelled aborted', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // The CA holds the challenge response for 3 s, so the order budget (300 ms) fires while that request is
    // in flight: the request is cancelled with the order's ACME_TIMEOUT AppError as the abort reason.
    const a = new AcmeIssuer({
      directoryUrl: server.directoryUrl,
      ca: server.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [solver],
      logger: silentLogger(),
      metrics,
      orderTimeoutMs: 300,
    });
    try {
      await a.accountUrl(AbortSignal.timeout(5000));
      server.behaviour.challengeDelayMs = 3000;
      assert.equal(a.status().reachable, true);
      const err = await a.issue({ names: ['budget.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(
        err instanceof AppError && err.code === ACME_CODES.timeout,
        `ACME_TIMEOUT expected, got ${String(err)}`,
      );
      assert.equal(a.status().reachable, true, 'our own abort does not make the CA unreachable');
      assert.equal(a.status().lastError, undefined);
      const counts = (await metrics.acmeRequestDuration.get()).values.filter(
        (v) => v.metricName?.endsWith('_count') && v.value > 0,
      );
      const statuses = new Set(counts.map((v) => String(v.labels['status'])));
      const aborted = counts.filter((v) => v.labels['status'] === 'aborted').map((v) => v.labels['operation']);
      assert.deepEqual(aborted, ['respondChallenge'], `statuses: ${[...statuses].join(',')}`);
      assert.ok(!statuses.has('timeout') && !statuses.has('network'), `statuses: ${[...statuses].join(',')}`);
      assert.equal(solver.size, 0, 'cleanUp ran');
    } finally {
      a.close();
    }
  });

  it('returns null from renewalInfo when the CA offers no ARI', async () => {
    const noAri = await startAcmeTestServer({ ari: false });
    const a = new AcmeIssuer({
      directoryUrl: noAri.directoryUrl,
      ca: noAri.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [new Http01Solver()],
      logger: silentLogger(),
    });
    try {
      const cert = await a.issue({ names: ['noari.example'], keyType: 'ec256' }, AbortSignal.timeout(10_000));
      assert.equal(await a.renewalInfo(readLeaf(cert.certPem).certId!, AbortSignal.timeout(5000)), null);
      assert.equal((await a.directoryMeta(AbortSignal.timeout(5000))).renewalInfo, false);
    } finally {
      a.close();
      await noAri.close();
    }
  });
});
