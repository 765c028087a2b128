import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli } from '../../../src/cli/parse.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import { describeConfig } from '../../../src/config/describe.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = parseCli([...argv, '/srv'], env);
  assert.equal(r.kind, 'run');
  return (r as Extract<typeof r, { kind: 'run' }>).config;
};

const RFC = { RFC2136_NAMESERVER: '127.0.0.1:5353', RFC2136_TSIG_KEY: 'k', RFC2136_TSIG_SECRET: 'c2VjcmV0' };

test('without --dns-provider DNS-01 is off', () => assert.equal(run([]).dns, undefined));

test("rfc2136 with lego's variables and defaults (hmac-sha256., TTL 120, 60 s / 2 s / 60 s)", () => {
  const d = run(['--dns-provider', 'rfc2136'], RFC).dns!;
  assert.equal(d.provider, 'rfc2136');
  assert.equal(d.followCname, true);
  assert.deepEqual(d.rfc2136, {
    nameserver: '127.0.0.1:5353',
    tsigKey: 'k',
    tsigSecret: 'c2VjcmV0',
    tsigAlgorithm: 'hmac-sha256.',
    ttl: 120,
    propagationTimeout: 60,
    pollingInterval: 2,
    sequenceInterval: 60,
  });
});

test('the flags and MARATHON_ACME_DNS_* environment variables', () => {
  const d = run([], {
    ...RFC,
    MARATHON_ACME_DNS_PROVIDER: 'rfc2136',
    MARATHON_ACME_DNS_ZONES: '*.Internal.Example.com, corp.test',
    MARATHON_ACME_DNS_RESOLVERS: '10.0.0.1,[::1]:5353',
    MARATHON_ACME_DNS_NO_CNAME_FOLLOW: 'true',
    RFC2136_TSIG_ALGORITHM: 'hmac-sha512',
    RFC2136_TTL: '30',
    RFC2136_PROPAGATION_TIMEOUT: '90',
    RFC2136_POLLING_INTERVAL: '5',
    RFC2136_SEQUENCE_INTERVAL: '1',
  }).dns!;
  assert.deepEqual(d.zones, ['internal.example.com', 'corp.test']);
  assert.deepEqual(d.resolvers, ['10.0.0.1', '[::1]:5353']);
  assert.equal(d.followCname, false);
  assert.equal(d.rfc2136?.tsigAlgorithm, 'hmac-sha512.');
  assert.deepEqual(
    [d.rfc2136?.ttl, d.rfc2136?.propagationTimeout, d.rfc2136?.pollingInterval, d.rfc2136?.sequenceInterval],
    [30, 90, 5, 1],
  );
});

test('exec: EXEC_PATH, EXEC_MODE=RAW and its timings', () => {
  const d = run(['--dns-provider', 'exec'], {
    EXEC_PATH: '/usr/local/bin/hook',
    EXEC_MODE: 'RAW',
    EXEC_PROPAGATION_TIMEOUT: '10',
  }).dns!;
  assert.deepEqual(d.exec, {
    path: '/usr/local/bin/hook',
    raw: true,
    propagationTimeout: 10,
    pollingInterval: 2,
    sequenceInterval: 60,
  });
});

test('acme-dns: ACME_DNS_API_BASE and ACME_DNS_STORAGE_PATH', () => {
  const d = run(['--dns-provider', 'acme-dns'], {
    ACME_DNS_API_BASE: 'https://auth.example.com',
    ACME_DNS_STORAGE_PATH: '/srv/acme-dns.json',
  }).dns!;
  assert.equal(d.acmeDns?.apiBase, 'https://auth.example.com');
  assert.equal(d.acmeDns?.storagePath, '/srv/acme-dns.json');
});

const BAD: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
  ['unknown provider', ['--dns-provider', 'route53'], {}, /dns-provider/],
  ['rfc2136 without a nameserver', ['--dns-provider', 'rfc2136'], {}, /RFC2136_NAMESERVER/],
  [
    'a key without a secret',
    ['--dns-provider', 'rfc2136'],
    { RFC2136_NAMESERVER: 'ns', RFC2136_TSIG_KEY: 'k' },
    /together/,
  ],
  [
    'a secret that is not base64 (never echoed)',
    ['--dns-provider', 'rfc2136'],
    { ...RFC, RFC2136_TSIG_SECRET: 'no spaces!' },
    /not base64 \(value not shown\)/,
  ],
  [
    'an unknown algorithm',
    ['--dns-provider', 'rfc2136'],
    { ...RFC, RFC2136_TSIG_ALGORITHM: 'hmac-md5' },
    /RFC2136_TSIG_ALGORITHM/,
  ],
  [
    'a timeout that is not whole seconds',
    ['--dns-provider', 'rfc2136'],
    { ...RFC, RFC2136_PROPAGATION_TIMEOUT: '1.5' },
    /RFC2136_PROPAGATION_TIMEOUT/,
  ],
  ['exec without EXEC_PATH', ['--dns-provider', 'exec'], {}, /EXEC_PATH/],
  ['EXEC_MODE other than RAW', ['--dns-provider', 'exec'], { EXEC_PATH: '/x', EXEC_MODE: 'raw' }, /EXEC_MODE/],
  [
    'acme-dns without storage',
    ['--dns-provider', 'acme-dns'],
    { ACME_DNS_API_BASE: 'https://a' },
    /ACME_DNS_STORAGE_PATH/,
  ],
  ['--dns-zones without a provider', ['--dns-zones', 'a.test'], {}, /needs --dns-provider/],
  [
    'a zone that is a URL',
    ['--dns-provider', 'exec', '--dns-zones', 'https://a.test'],
    { EXEC_PATH: '/x' },
    /dns-zones/,
  ],
  [
    'a resolver with a bad port',
    ['--dns-provider', 'exec', '--dns-resolvers', 'ns:99999'],
    { EXEC_PATH: '/x' },
    /dns-resolvers/,
  ],
];
for (const [name, argv, env, message] of BAD) {
  test(`usage error: ${name}`, () => {
    assert.throws(
      () => parseCli([...argv, '/srv'], env),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match((err as Error).message, message);
        assert.ok(!(err as Error).message.includes('no spaces!'));
        return true;
      },
    );
  });
}

test('the start-up description never shows the TSIG secret', () => {
  const text = JSON.stringify(describeConfig(run(['--dns-provider', 'rfc2136'], RFC)));
  assert.ok(text.includes('"tsig_key":"k"'));
  assert.ok(!text.includes('c2VjcmV0'));
});
