/**
 * The RFC 2136 provider and the DNS-01 solver against a real bind9 (Debian's named, started here on
 * loopback with a TSIG key and `update-policy { grant acme-key zonesub TXT; }`).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Challenge } from '../../../src/domain/contracts.js';
import type { DnsProvider, ProviderTiming } from '../../../src/solvers/dns01/provider.js';
import { Rfc2136Provider } from '../../../src/solvers/dns01/rfc2136.js';
import { Dns01Solver, txtValue } from '../../../src/solvers/dns01/solver.js';
import { exchangeTcp, parseServer } from '../../../src/solvers/dns01/transport.js';
import { encodeQuery, parseMessage, TYPE } from '../../../src/solvers/dns01/wire.js';
import { type Bind9, startBind9 } from '../../support/bind9.js';
import { freePort } from '../../support/ports.js';
import { startUnbound } from '../../support/unbound.js';

let bind: Bind9;
const TIMING: ProviderTiming = { ttl: 60, propagationTimeoutMs: 5000, pollingIntervalMs: 100, sequenceIntervalMs: 0 };

before(async () => {
  bind = await startBind9({
    zones: [
      { name: 'example.test', records: ['_acme-challenge.delegated CNAME d1.other.test.'] },
      { name: 'other.test' },
    ],
  });
});
after(async () => {
  await bind?.stop();
});

function provider(
  over: { secret?: string; keyName?: string; port?: number; timing?: ProviderTiming } = {},
): Rfc2136Provider {
  return new Rfc2136Provider({
    timeoutMs: 1000,
    nameserver: { host: '127.0.0.1', port: over.port ?? bind.port },
    key: {
      name: over.keyName ?? bind.keyName,
      algorithm: 'hmac-sha256.',
      secret: Buffer.from(over.secret ?? bind.secret, 'base64'),
    },
    timing: over.timing ?? TIMING,
  });
}

function solver(p: DnsProvider = provider(), followCname = true): Dns01Solver {
  return new Dns01Solver({ provider: p, resolvers: [parseServer(bind.address)!], systemResolvers: [], followCname });
}

const challenge = (identifier: string, ka: string): Challenge => ({
  type: 'dns-01',
  identifier,
  token: ka.split('.')[0]!,
  keyAuthorization: ka,
});

test('a name and its wildcard share _acme-challenge with two values; each cleanUp removes only its own', async () => {
  const s = solver();
  const base = challenge('apps.example.test', 'tok1.thumb');
  const wild = challenge('*.apps.example.test', 'tok2.thumb');
  const signal = AbortSignal.timeout(10_000);
  await Promise.all([s.present(base, signal), s.present(wild, signal)]);
  const owner = '_acme-challenge.apps.example.test';
  assert.deepEqual((await bind.txt(owner)).sort(), [txtValue('tok1.thumb'), txtValue('tok2.thumb')].sort());
  await s.cleanUp(base);
  assert.deepEqual(await bind.txt(owner), [txtValue('tok2.thumb')]);
  await s.cleanUp(wild);
  assert.deepEqual(await bind.txt(owner), []);
});

test('a value presented twice is withdrawn only by the second cleanUp', async () => {
  const s = solver();
  const c = challenge('twice.example.test', 'tok3.thumb');
  await s.present(c, AbortSignal.timeout(10_000));
  await s.present(c, AbortSignal.timeout(10_000));
  await s.cleanUp(c);
  assert.deepEqual(await bind.txt('_acme-challenge.twice.example.test'), [txtValue('tok3.thumb')]);
  await s.cleanUp(c);
  assert.deepEqual(await bind.txt('_acme-challenge.twice.example.test'), []);
});

test('a CNAME-delegated _acme-challenge is followed: the value goes to the target in the other zone', async () => {
  const s = solver();
  const c = challenge('delegated.example.test', 'tok4.thumb');
  await s.present(c, AbortSignal.timeout(10_000));
  assert.deepEqual(await bind.txt('d1.other.test'), [txtValue('tok4.thumb')]);
  await s.cleanUp(c);
  assert.deepEqual(await bind.txt('d1.other.test'), []);
});

test('--dns-no-cname-follow: the CNAME owner itself is updated, which bind9 ignores (CNAME and other data)', async () => {
  const s = solver(provider({ timing: { ...TIMING, propagationTimeoutMs: 500 } }), false);
  const c = challenge('delegated.example.test', 'tok5.thumb');
  // bind9 silently ignores a TXT beside a CNAME (RFC 2136 §3.4.1.2): NOERROR, then the value never shows.
  await assert.rejects(s.present(c, AbortSignal.timeout(10_000)), { code: 'DNS_PROPAGATION_TIMEOUT' });
  assert.deepEqual(await bind.txt('d1.other.test'), []);
  await s.cleanUp(c);
});

test('a wrong TSIG secret is DNS_BADSIG, an unknown key DNS_BADKEY; neither is an outage', async () => {
  const wrong = Buffer.from('not-the-secret-not-the-secret!!!').toString('base64');
  const c = challenge('badsig.example.test', 'tok6.thumb');
  await assert.rejects(
    solver(provider({ secret: wrong })).present(c, AbortSignal.timeout(10_000)),
    (err: { code?: string; outage?: boolean; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'DNS_BADSIG');
      assert.equal(err.outage, false);
      assert.equal(err.details?.tsig_error, 'BADSIG');
      return true;
    },
  );
  await assert.rejects(solver(provider({ keyName: 'nobody' })).present(c, AbortSignal.timeout(10_000)), {
    code: 'DNS_BADKEY',
  });
  assert.deepEqual(await bind.txt('_acme-challenge.badsig.example.test'), []);
});

test('a nameserver that is down is DNS_UNREACHABLE and marked as an outage', async () => {
  const port = await freePort();
  const p = provider({ port });
  await assert.rejects(
    p.present(
      {
        fqdn: '_acme-challenge.down.example.test',
        zone: 'example.test',
        value: 'v',
        domain: 'down.example.test',
        token: 't',
        keyAuthorization: 't.k',
      },
      AbortSignal.timeout(10_000),
    ),
    (err: { code?: string; outage?: boolean }) => err.code === 'DNS_UNREACHABLE' && err.outage === true,
  );
});

test('a value that never reaches the nameservers is DNS_PROPAGATION_TIMEOUT within the provider timeout', async () => {
  const silent: DnsProvider = {
    name: 'silent',
    timing: { ...TIMING, propagationTimeoutMs: 600 },
    present: async () => {},
    cleanUp: async () => {},
  };
  const s = solver(silent);
  await assert.rejects(
    s.present(challenge('never.example.test', 'tok7.thumb'), AbortSignal.timeout(10_000)),
    (err: { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'DNS_PROPAGATION_TIMEOUT');
      assert.deepEqual(err.details?.servers, [bind.address]);
      return true;
    },
  );
});

test('without --dns-resolvers the zone is found by asking the primary (SOA)', async () => {
  const s = new Dns01Solver({
    provider: new Rfc2136Provider({
      nameserver: parseServer(bind.address)!,
      key: { name: bind.keyName, algorithm: 'hmac-sha256.', secret: Buffer.from(bind.secret, 'base64') },
      timing: { ...TIMING, propagationTimeoutMs: 300 },
    }),
    systemResolvers: [],
  });
  const c = challenge('ns.example.test', 'tok8.thumb');
  const record = await s.recordFor(c, AbortSignal.timeout(5000));
  assert.deepEqual([record.fqdn, record.zone], ['_acme-challenge.ns.example.test', 'example.test']);
});

test('a presentation that fails after the update (its nameservers unreachable) withdraws its value', async () => {
  // No --dns-resolvers: lookups go to the primary, the check to the zone's NS (ns.example.test), which
  // this machine cannot resolve — so the check fails only after the value was added.
  const s = new Dns01Solver({ provider: provider(), systemResolvers: [] });
  const c = challenge('withdrawn.example.test', 'tok9.thumb');
  await assert.rejects(s.present(c, AbortSignal.timeout(10_000)), { code: 'DNS_UNREACHABLE' });
  assert.deepEqual(await bind.txt('_acme-challenge.withdrawn.example.test'), []);
  await s.cleanUp(c);
});

test('queries and updates also work over TCP (RFC 7766), as used after a truncated or lost UDP answer', async () => {
  const answer = parseMessage(
    await exchangeTcp({ host: '127.0.0.1', port: bind.port }, encodeQuery(4242, 'example.test', TYPE.SOA, false), 2000),
  );
  assert.equal(answer.id, 4242);
  assert.equal(answer.answers[0]?.type, TYPE.SOA);
});

test("a resolver whose upstream nameservers are down (SERVFAIL or silence) is an outage too, not the certificate's fault", async () => {
  const resolver = await startUnbound({ upstreamPort: await freePort(), zones: ['example.test'] });
  try {
    const s = new Dns01Solver({
      provider: provider(),
      resolvers: [{ host: '127.0.0.1', port: resolver.port }],
      systemResolvers: [],
    });
    await assert.rejects(
      s.present(challenge('servfail.example.test', 'tokS.thumb'), AbortSignal.timeout(20_000)),
      (err: { code?: string; outage?: boolean; details?: Record<string, unknown> }) => {
        assert.equal(err.code, 'DNS_UNREACHABLE');
        assert.equal(err.outage, true);
        // unbound answers SERVFAIL, or (still retrying upstream) nothing within the query timeout.
        assert.ok(err.details?.rcode === 'SERVFAIL' || err.details?.rcode === undefined);
        return true;
      },
    );
  } finally {
    await resolver.stop();
  }
});
