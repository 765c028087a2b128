import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../../src/cli/parse.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import { envName } from '../../../src/cli/env.js';
import { LE_PRODUCTION } from '../../../src/config/config.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = parseCli(argv, env);
  assert.equal(r.kind, 'run');
  return (r as Extract<typeof r, { kind: 'run' }>).config;
};

test('0.6.1 defaults, except the dead ACME v1 directory', () => {
  const c = run(['/var/lib/marathon-acme']);
  assert.equal(c.storageDir, '/var/lib/marathon-acme');
  assert.equal(c.acme, LE_PRODUCTION);
  assert.deepEqual(c.marathon, ['http://marathon.mesos:8080']);
  assert.deepEqual(c.lb, ['http://marathon-lb.marathon.mesos:9090']);
  assert.equal(c.group, 'external');
  assert.equal(c.allowMultipleCerts, false);
  assert.deepEqual(c.listen, { port: 8000 });
  assert.equal(c.marathonTimeoutMs, 10_000);
  assert.equal(c.sseTimeoutMs, 60_000);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.email, undefined);
  assert.equal(c.removeAfterMs, 7 * 24 * 3600 * 1000);
  assert.equal(c.keyType, 'ec256');
  assert.equal(c.maxConcurrentOrders, 5);
});

test('every 0.6.1 flag, short and long', () => {
  const c = run([
    '-a',
    'https://acme.example/dir',
    '-e',
    'ops@example.com',
    '-m',
    'http://m1:8080, http://m2:8080',
    '-l',
    'http://lb1:9090,http://lb2:9090',
    '-g',
    'internal',
    '--allow-multiple-certs',
    '--listen',
    '127.0.0.1:8080',
    '--marathon-timeout',
    '2.5',
    '--sse-timeout',
    '0',
    '--log-level',
    'debug',
    '/s',
  ]);
  assert.equal(c.acme, 'https://acme.example/dir');
  assert.equal(c.email, 'ops@example.com');
  assert.deepEqual(c.marathon, ['http://m1:8080', 'http://m2:8080'], 'entries are trimmed (0.6.1 kept the space)');
  assert.deepEqual(c.lb, ['http://lb1:9090', 'http://lb2:9090']);
  assert.equal(c.group, 'internal');
  assert.equal(c.allowMultipleCerts, true);
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
  assert.equal(c.marathonTimeoutMs, 2500);
  assert.equal(c.sseTimeoutMs, 0);
  assert.equal(c.logLevel, 'debug');
});

test('environment variables set flags; the command line wins', () => {
  const env = {
    MARATHON_ACME_GROUP: 'env-group',
    MARATHON_ACME_EMAIL: 'a@b.c',
    MARATHON_ACME_ALLOW_MULTIPLE_CERTS: 'true',
    MARATHON_ACME_STORAGE_DIR: '/env/dir',
    MARATHON_ACME_EAB_KID: 'kid',
    MARATHON_ACME_EAB_HMAC_KEY: 'secret',
  };
  const c = run([], env);
  assert.equal(c.storageDir, '/env/dir');
  assert.equal(c.group, 'env-group');
  assert.equal(c.allowMultipleCerts, true);
  assert.deepEqual(c.eab, { kid: 'kid', hmacKey: 'secret' });
  assert.equal(run(['-g', 'cli', '/x'], env).group, 'cli');
  assert.equal(envName('allow-multiple-certs'), 'MARATHON_ACME_ALLOW_MULTIPLE_CERTS');
});

test('an ACME v1 URL maps to v2 with a warning', () => {
  const r = parseCli(['-a', 'https://acme-v01.api.letsencrypt.org/directory', '/s'], {});
  assert.equal(r.kind === 'run' && r.warnings.length, 1);
  assert.equal(r.kind === 'run' && r.config.acme, LE_PRODUCTION);
});

test('usage errors are one-line UsageErrors', async (t) => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no storage dir', [], /required: storage-dir/],
    ['unknown flag', ['--bogus', '/s'], /unrecognized arguments: --bogus/],
    ['bad log level', ['--log-level', 'foo', '/s'], /invalid choice: 'foo'/],
    ['non-float timeout', ['--sse-timeout', 'abc', '/s'], /invalid float value: 'abc'/],
    ['bad listen', ['--listen', 'hello:8080', '/s'], /'hello' does not appear to be an IPv4 or IPv6 address/],
    ['bad key type', ['--key-type', 'dsa', '/s'], /invalid choice/],
    ['eab half given', ['--eab-kid', 'k', '/s'], /together/],
    ['two positionals', ['/a', '/b'], /unrecognized arguments: \/b/],
    ['missing ca file', ['--acme-ca-cert', '/nonexistent/ca.pem', '/s'], /cannot read/],
    ['zero concurrency', ['--max-concurrent-orders', '0', '/s'], /at least 1/],
    [
      'Marathon URL without a scheme',
      ['--marathon', 'marathon.mesos:8080', '/s'],
      /^argument --marathon: not an http\(s\) URL: 'marathon.mesos:8080' \(no scheme: write http:\/\/marathon.mesos:8080\)$/,
    ],
    [
      'one bad Marathon URL among good ones',
      ['--marathon', 'http://m1:8080,m2:8080', '/s'],
      /^argument --marathon: not an http\(s\) URL: 'm2:8080'/,
    ],
    ['marathon-lb URL without a scheme', ['--lb', 'marathon-lb:9090', '/s'], /^argument --lb: not an http\(s\) URL/],
    ['marathon-lb URL of another scheme', ['--lb', 'ftp://lb:9090', '/s'], /^argument --lb: not an http\(s\) URL/],
    ['empty Marathon list', ['--marathon', ' , ', '/s'], /^argument --marathon: no URL given/],
    ['ACME URL that is not a URL', ['--acme', 'not-a-url', '/s'], /^argument --acme: not an https URL/],
    ['ACME URL of another scheme', ['--acme', 'ftp://x/dir', '/s'], /^argument --acme: not an https URL/],
    ['ACME URL over plain http to a remote host', ['--acme', 'http://ca.example/dir', '/s'], /^argument --acme:/],
    ['e-mail without @', ['--email', 'notanemail', '/s'], /^argument --email: not an e-mail address: 'notanemail'$/],
    ['e-mail without a domain', ['--email', 'ops@', '/s'], /^argument --email: not an e-mail address/],
    ['e-mail with a single-label domain', ['--email', 'ops@localhost', '/s'], /^argument --email:/],
    ['e-mail with a space', ['--email', 'o ps@example.com', '/s'], /^argument --email:/],
    [
      'EAB key that is not base64url',
      ['--eab-kid', 'k', '--eab-hmac-key', 'c2VjcmV0+/==', '/s'],
      /^argument --eab-hmac-key: not base64url .*the value is not shown$/,
    ],
    ['EAB key with a stray character', ['--eab-kid', 'k', '--eab-hmac-key', 'abc$def', '/s'], /--eab-hmac-key/],
  ];
  for (const [name, argv, re] of cases) {
    await t.test(name, () => {
      assert.throws(
        () => parseCli(argv, {}),
        (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});

test('--help and --version', () => {
  assert.deepEqual(parseCli(['--help'], {}), { kind: 'help' });
  assert.deepEqual(parseCli(['-h'], {}), { kind: 'help' });
  assert.deepEqual(parseCli(['--version'], {}), { kind: 'version' });
});

test('--lb none disables marathon-lb signalling; --marathon none disables Marathon', () => {
  assert.deepEqual(run(['--lb', 'none', '/s']).lb, []);
  assert.deepEqual(run(['--marathon', ' none ', '/s']).marathon, []);
});

test('optional flags: absent or blank is undefined, values are trimmed', () => {
  const c = run(['--profile', ' shortlived ', '--notify-command', ' /bin/echo  a b ', '--haproxy-socket', ' ', '/s']);
  assert.equal(c.profile, 'shortlived');
  assert.deepEqual(c.notifyCommand, ['/bin/echo', 'a', 'b']);
  assert.equal(c.haproxySocket, undefined);
  assert.equal(c.storageGroup, undefined);
  assert.equal(run(['--storage-group', '1000', '/s']).storageGroup, 1000);
  assert.equal(run(['/s']).backoffMinMs, 300_000);
  assert.equal(run(['/s']).backoffMaxMs, 86_400_000);
});

test('--allowed-domains is normalised once, at parse time', () => {
  assert.deepEqual(run(['/s']).allowedDomains, [], 'not given: no restriction');
  assert.deepEqual(run(['/s'], { MARATHON_ACME_ALLOWED_DOMAINS: '' }).allowedDomains, [], 'empty: no restriction');
  assert.deepEqual(
    run(['--allowed-domains', ' *.Example.COM., .other.org,bücher.de,example.com', '/s']).allowedDomains,
    ['example.com', 'other.org', 'xn--bcher-kva.de'],
  );
});

test('--allowed-domains fails closed: an entry that is not a domain is a usage error naming it', async (t) => {
  for (const bad of ['https://example.com', 'example.com:443', 'example.com/', 'ok.example.com, example.com:443']) {
    await t.test(bad, () => {
      assert.throws(
        () => parseCli(['--allowed-domains', bad, '/s'], {}),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, bad);
          assert.match(err.message, /^argument --allowed-domains: not a domain name: '/, bad);
          assert.ok(err.message.includes(bad.split(', ').pop()!), `${bad}: ${err.message}`);
          assert.ok(!err.message.includes('\n'));
          return true;
        },
      );
      assert.throws(() => parseCli(['/s'], { MARATHON_ACME_ALLOWED_DOMAINS: bad }), UsageError, `env ${bad}`);
    });
  }
  assert.throws(() => parseCli(['--allowed-domains', ' , ', '/s'], {}), /--allowed-domains: no domain given/);
});

test('a bad value from the environment names the variable it came from', async (t) => {
  const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [
      { MARATHON_ACME_REMOVE_AFTER: 'abc' },
      /^environment variable MARATHON_ACME_REMOVE_AFTER \(--remove-after\): invalid float value: 'abc'$/,
    ],
    [{ MARATHON_ACME_MARATHON: 'marathon.mesos:8080' }, /^environment variable MARATHON_ACME_MARATHON \(--marathon\)/],
    [{ MARATHON_ACME_ACME: 'ftp://x/dir' }, /^environment variable MARATHON_ACME_ACME \(--acme\)/],
    [
      { MARATHON_ACME_LOG_LEVEL: 'loud' },
      /^environment variable MARATHON_ACME_LOG_LEVEL \(--log-level\): invalid choice/,
    ],
    [{ MARATHON_ACME_SAN: 'maybe' }, /^environment variable MARATHON_ACME_SAN \(--san\): invalid boolean/],
    [
      { MARATHON_ACME_ALLOWED_DOMAINS: 'https://x.com' },
      /^environment variable MARATHON_ACME_ALLOWED_DOMAINS \(--allowed-domains\): not a domain name/,
    ],
  ];
  for (const [env, re] of cases) {
    await t.test(Object.keys(env)[0]!, () => {
      assert.throws(
        () => parseCli(['/s'], env),
        (e: Error) => e instanceof UsageError && re.test(e.message),
      );
    });
  }
  // The command line wins, and is then what the error names.
  assert.throws(
    () => parseCli(['--remove-after', 'x', '/s'], { MARATHON_ACME_REMOVE_AFTER: '5' }),
    (e: Error) => e.message === "argument --remove-after: invalid float value: 'x'",
  );
});

test('secrets in bad values are never echoed', () => {
  for (const [argv, secret] of [
    [['--marathon', 'ftp://user:hunter2@m1:8080', '/s'], 'hunter2'],
    [['--acme', 'ftp://user:hunter2@ca/dir', '/s'], 'hunter2'],
    [['--eab-kid', 'k', '--eab-hmac-key', 'hunter2!', '/s'], 'hunter2'],
  ] as const) {
    assert.throws(
      () => parseCli([...argv], {}),
      (e: Error) => e instanceof UsageError && !e.message.includes(secret),
      argv.join(' '),
    );
  }
});

test('good URLs, e-mail addresses and EAB keys pass as given', () => {
  const c = run([
    '--acme',
    'http://127.0.0.1:14000/dir',
    '--marathon',
    'https://user:p%40ss@m1/marathon,http://[::1]:8080',
    '--lb',
    'http://lb:9090',
    '--email',
    'first.last+acme@sub.example.co.uk',
    '--eab-kid',
    'kid-1',
    '--eab-hmac-key',
    'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W',
    '/s',
  ]);
  assert.equal(c.acme, 'http://127.0.0.1:14000/dir');
  assert.deepEqual(c.marathon, ['https://user:p%40ss@m1/marathon', 'http://[::1]:8080']);
  assert.equal(c.email, 'first.last+acme@sub.example.co.uk');
  assert.equal(c.eab?.hmacKey.length, 64);
  assert.equal(run(['--acme', 'https://localhost/dir', '/s']).acme, 'https://localhost/dir');
});

test('--sync-listen, --sync-tls-cert/--sync-tls-key: the agents feed', () => {
  assert.equal(run(['/s']).syncListen, undefined);
  assert.deepEqual(run(['--sync-listen', ':8443', '/s']).syncListen, { port: 8443 });
  assert.deepEqual(run(['/s'], { MARATHON_ACME_SYNC_LISTEN: '127.0.0.1:9443' }).syncListen, {
    host: '127.0.0.1',
    port: 9443,
  });
  assert.throws(() => run(['--sync-listen', 'feed:8443', '/s']), UsageError);
  assert.throws(() => run(['--sync-tls-cert', '/etc/hostname', '/s']), /must be given together/);
  const both = run(['--sync-tls-cert', '/etc/hostname', '--sync-tls-key', '/etc/hostname', '/s']).syncTls;
  assert.deepEqual(both, { certFile: '/etc/hostname', keyFile: '/etc/hostname' });
  assert.throws(() => run(['--sync-tls-cert', '/nonexistent', '--sync-tls-key', '/etc/hostname', '/s']), UsageError);
});
