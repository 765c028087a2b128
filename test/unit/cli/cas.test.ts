import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../../../src/cli/parse.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import { LE_PRODUCTION, LE_STAGING } from '../../../src/config/config.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = parseCli(argv, env);
  assert.equal(r.kind, 'run');
  return (r as Extract<typeof r, { kind: 'run' }>).config;
};
const A = 'https://ca-a.example/dir';
const B = 'https://ca-b.example/dir';
const KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';

test('--acme takes one or more directories, in order of preference', () => {
  assert.deepEqual(run(['/s']).cas, [{ url: LE_PRODUCTION }]);
  const c = run(['--acme', `${A}, ${B}`, '/s']);
  assert.deepEqual(
    c.cas.map((ca) => ca.url),
    [A, B],
  );
  assert.equal(c.acme, A);
  assert.deepEqual(
    run(['/s'], { MARATHON_ACME_ACME: `${B},${A}` }).cas.map((ca) => ca.url),
    [B, A],
  );
  // ACME v1 URLs are mapped in the list too.
  const v1 = run(['--acme', `https://acme-staging-v01.api.letsencrypt.org/directory,${A}`, '/s']);
  assert.deepEqual(
    v1.cas.map((ca) => ca.url),
    [LE_STAGING, A],
  );
});

test('per-CA settings come from MARATHON_ACME_ACME_<i>_*; the single-CA flags mean CA 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cas-'));
  try {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, 'x');
    const c = run(['--acme', `${A},${B}`, '--eab-kid', 'k0', '--eab-hmac-key', KEY, '--profile', 'tlsserver', '/s'], {
      MARATHON_ACME_ACME_1_EAB_KID: 'k1',
      MARATHON_ACME_ACME_1_EAB_HMAC_KEY: KEY,
      MARATHON_ACME_ACME_1_PROFILE: 'shortlived',
      MARATHON_ACME_ACME_1_CA_CERT: caFile,
      MARATHON_ACME_ACME_1_PREFERRED_CHAIN: 'ISRG Root X1',
    });
    assert.deepEqual(c.cas[0], { url: A, eab: { kid: 'k0', hmacKey: KEY }, profile: 'tlsserver' });
    assert.deepEqual(c.cas[1], {
      url: B,
      eab: { kid: 'k1', hmacKey: KEY },
      profile: 'shortlived',
      preferredChain: 'ISRG Root X1',
      caCert: caFile,
    });
    // CA 0's variables apply when its flags are not given.
    const d = run(['--acme', A, '/s'], { MARATHON_ACME_ACME_0_PROFILE: 'p', MARATHON_ACME_ACME_0_CA_CERT: caFile });
    assert.deepEqual(d.cas[0], { url: A, profile: 'p', caCert: caFile });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad CA lists and per-CA variables are usage errors naming the flag or the variable', async (t) => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['an empty list', ['--acme', ' , ', '/s'], {}, /^argument --acme: no ACME directory given$/],
    ['a bad URL in the list', ['--acme', `${A},ftp://x/dir`, '/s'], {}, /^argument --acme: not an https URL/],
    [
      'a bad URL from the environment',
      ['/s'],
      { MARATHON_ACME_ACME: `${A},nope` },
      /^environment variable MARATHON_ACME_ACME \(--acme\)/,
    ],
    [
      'the same CA twice',
      ['--acme', `${A},${A}`, '/s'],
      {},
      /^argument --acme: the same ACME directory is given twice$/,
    ],
    [
      'a variable for a CA not in the list',
      ['--acme', A, '/s'],
      { MARATHON_ACME_ACME_1_PROFILE: 'x' },
      /MARATHON_ACME_ACME_1_PROFILE: there is no CA 1/,
    ],
    [
      'an unknown per-CA setting',
      ['--acme', `${A},${B}`, '/s'],
      { MARATHON_ACME_ACME_1_EMAIL: 'x' },
      /MARATHON_ACME_ACME_1_EMAIL: unknown per-CA setting/,
    ],
    [
      'half an EAB',
      ['--acme', `${A},${B}`, '/s'],
      { MARATHON_ACME_ACME_1_EAB_KID: 'k' },
      /MARATHON_ACME_ACME_1_EAB_KID and MARATHON_ACME_ACME_1_EAB_HMAC_KEY must be given together/,
    ],
    [
      'an EAB key that is not base64url',
      ['--acme', `${A},${B}`, '/s'],
      { MARATHON_ACME_ACME_1_EAB_KID: 'k', MARATHON_ACME_ACME_1_EAB_HMAC_KEY: 'hunter2!' },
      /^environment variable MARATHON_ACME_ACME_1_EAB_HMAC_KEY: not base64url.*not shown$/,
    ],
    [
      'an unreadable CA file',
      ['--acme', `${A},${B}`, '/s'],
      { MARATHON_ACME_ACME_1_CA_CERT: '/nonexistent/ca.pem' },
      /^environment variable MARATHON_ACME_ACME_1_CA_CERT: cannot read/,
    ],
  ];
  for (const [name, argv, env, re] of cases) {
    await t.test(name, () => {
      assert.throws(
        () => parseCli(argv, env),
        (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes('hunter2'),
      );
    });
  }
  // MARATHON_ACME_ACME_CA_CERT is the flag --acme-ca-cert, not a per-CA variable.
  assert.throws(() => parseCli(['/s'], { MARATHON_ACME_ACME_CA_CERT: '/nonexistent' }), /--acme-ca-cert/);
});
