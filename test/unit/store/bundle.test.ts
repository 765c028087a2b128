import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IssuedCertificate } from '../../../src/domain/types.js';
import { AppError } from '../../../src/lib/errors.js';
import { generateKey } from '../../../src/pki/keys.js';
import { X509Certificate } from 'node:crypto';
import { selfSignedCert } from '../../../src/pki/create-cert.js';
import { buildBundle, checkBundle, leafPemOf, ListingMemo, readStoredCert } from '../../../src/store/bundle.js';
import { createCertFactory } from '../../support/cert-factory.js';

const DAY = 86_400_000;

test('buildBundle: key, leaf, chain, each block ending in a newline, no blank lines', async () => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['a.example.test']);
  const text = buildBundle({
    keyPem: issued.keyPem.trimEnd(),
    certPem: issued.certPem.trimEnd(),
    chainPem: `\n${issued.chainPem}`,
  });
  assert.equal(text, issued.keyPem + issued.certPem + issued.chainPem);
  assert.doesNotMatch(text, /\n\n/);
  const checked = checkBundle(text, ['a.example.test'], new Date());
  assert.equal(checked.chainPems.length, 1);
});

test('checkBundle rejects every bad bundle with a stable reason', async () => {
  const ca = await createCertFactory();
  const other = await createCertFactory('other');
  const good = await ca.issue(['a.example.test', 'www.a.example.test']);
  const names = ['a.example.test', 'www.a.example.test'];
  const expired = await ca.issue(names, {
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const foreign = await other.issue(names);
  const join = (c: IssuedCertificate): string => c.keyPem + c.certPem + c.chainPem;
  const cases: Array<[string, string, readonly string[], string]> = [
    ['mismatched key', (await generateKey('ec256')).keyPem + good.certPem + good.chainPem, names, 'KEY_MISMATCH'],
    [
      'key of another type',
      (await generateKey('rsa2048')).keyPem + good.certPem + good.chainPem,
      names,
      'KEY_MISMATCH',
    ],
    ['truncated in the chain', join(good).slice(0, -100), names, 'PEM_INVALID'],
    ['truncated at a block boundary inside the leaf', good.keyPem + good.certPem.slice(0, 60), names, 'PEM_INVALID'],
    ['no certificate', good.keyPem, names, 'PEM_INVALID'],
    ['no key', good.certPem + good.chainPem, names, 'PEM_INVALID'],
    ['empty', '', names, 'PEM_INVALID'],
    ['garbage', 'hello world\n', names, 'PEM_INVALID'],
    ['expired leaf', join(expired), names, 'EXPIRED'],
    ['a name missing', join(good), ['a.example.test'], 'NAMES_MISMATCH'],
    ['an extra name', join(good), [...names, 'b.example.test'], 'NAMES_MISMATCH'],
    ['other names', join(good), ['b.example.test', 'www.a.example.test'], 'NAMES_MISMATCH'],
    ['chain of another CA', good.keyPem + good.certPem + foreign.chainPem, names, 'CHAIN_INVALID'],
    [
      'chain certificate corrupted',
      good.keyPem + good.certPem + good.chainPem.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA'),
      names,
      'PEM_INVALID',
    ],
  ];
  for (const [label, text, want, reason] of cases) {
    assert.throws(
      () => checkBundle(text, want, new Date()),
      (err: unknown) => {
        assert.ok(err instanceof AppError, label);
        assert.equal(err.code, 'BUNDLE_INVALID', label);
        assert.equal(err.details.reason, reason, label);
        return true;
      },
      label,
    );
  }
  // the same names in another order and case are the same set
  assert.doesNotThrow(() => checkBundle(join(good), ['WWW.a.example.test', 'a.example.test'], new Date()));
  // no chain at all is accepted (a CA may send the leaf alone)
  assert.doesNotThrow(() => checkBundle(good.keyPem + good.certPem, names, new Date()));
});

test('readStoredCert with a ListingMemo: the same answers; a chain that does not parse is never remembered', async () => {
  const ca = await createCertFactory();
  const a = await ca.issue(['a.example.test']);
  const b = await ca.issue(['b.example.test']);
  const memo = new ListingMemo();
  assert.deepEqual(
    readStoredCert('a.example.test', a.keyPem + a.certPem + a.chainPem, memo),
    readStoredCert('a.example.test', a.keyPem + a.certPem + a.chainPem),
  );
  assert.ok(memo.has(a.chainPem), 'the intermediate is remembered');
  assert.ok(
    readStoredCert('b.example.test', b.keyPem + b.certPem + b.chainPem, memo),
    'a second bundle with the same intermediate',
  );
  // base64 that is not X.509 where the chain should be
  const junk = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a certificate at all').toString('base64')}\n-----END CERTIFICATE-----\n`;
  assert.equal(readStoredCert('a.example.test', a.keyPem + a.certPem + junk, memo), null);
  assert.equal(memo.has(junk), false);
  assert.equal(
    readStoredCert('a.example.test', a.keyPem + a.certPem + junk, memo),
    null,
    'still refused the second time',
  );
});

test('readStoredCert: ours are parsed (leaf expiry), anything else is null', async () => {
  const ca = await createCertFactory();
  const good = await ca.issue(['a.example.test']);
  const stored = readStoredCert('a.example.test', good.keyPem + good.certPem + good.chainPem);
  assert.ok(stored);
  assert.equal(stored.keyType, 'ec256');
  assert.deepEqual(stored.names, ['a.example.test']);
  assert.equal('certPem' in stored, false, 'the leaf PEM is not kept');
  assert.ok(stored.notAfter.getTime() < Date.now() + 11 * DAY, "the leaf expiry, not the chain's (30 days)");
  assert.equal(readStoredCert('x', good.certPem), null);
  assert.equal(readStoredCert('x', (await generateKey('ec256')).keyPem + good.certPem), null);
  assert.equal(readStoredCert('x', 'junk'), null);
});

test('readStoredCert: the ARI certificate id (RFC 9773 §4.1) is computed from the leaf; none without an AKI', async () => {
  const ca = await createCertFactory();
  const aki = '44075926 2dd6b2a6 44c374d7 d9a5e56e 59b589f3'.replace(/ /g, '');
  const bundleOf = (c: IssuedCertificate): string => c.keyPem + c.certPem + c.chainPem;
  const withAki = await ca.issue(['aki.example.test'], { authorityKeyId: aki });
  const serialOf = (c: { certPem: string }): string => new X509Certificate(c.certPem).serialNumber;
  const def = await selfSignedCert({ cn: '*', days: 3650, backdateDays: 1 });
  const cases: Array<{ name: string; text: string; want: string | undefined }> = [
    {
      name: 'a leaf with an AKI keyIdentifier',
      text: bundleOf(withAki),
      want: `${Buffer.from(aki, 'hex').toString('base64url')}.${Buffer.from(serialOf(withAki), 'hex').toString('base64url')}`,
    },
    { name: 'a leaf without an AKI', text: bundleOf(await ca.issue(['plain.example.test'])), want: undefined },
    { name: 'the self-signed fallback (no extensions)', text: def.keyPem + def.certPem, want: undefined },
  ];
  for (const c of cases) {
    const stored = readStoredCert('x', c.text, new ListingMemo());
    assert.ok(stored, c.name);
    assert.equal(stored.certId, c.want, c.name);
    assert.deepEqual(readStoredCert('x', c.text), stored, `${c.name}: the same without a memo`);
  }
});

test('ListingMemo.issuer: equal names come back equal; past LIMIT names are still returned as given', () => {
  const memo = new ListingMemo();
  assert.equal(memo.issuer(['CN=R12', "O=Let's Encrypt"].join(', ')), "CN=R12, O=Let's Encrypt");
  assert.equal(memo.issuer("CN=R12, O=Let's Encrypt"), "CN=R12, O=Let's Encrypt");
  for (let i = 0; i < ListingMemo.LIMIT * 2; i += 1) assert.equal(memo.issuer(`CN=CA ${i}`), `CN=CA ${i}`);
});

test('leafPemOf: the leaf only while it has the serial asked for', async () => {
  const ca = await createCertFactory();
  const a = await ca.issue(['a.example.test']);
  const b = await ca.issue(['a.example.test']);
  const serial = (pem: string): string => new X509Certificate(pem).serialNumber.toLowerCase();
  const text = a.keyPem + a.certPem + a.chainPem;
  const cases: Array<{ name: string; text: string; serial: string; want: string | undefined }> = [
    { name: 'the same certificate', text, serial: serial(a.certPem), want: a.certPem },
    {
      name: 'the serial in upper case is not ours (records keep lower case)',
      text,
      serial: serial(a.certPem).toUpperCase(),
      want: undefined,
    },
    { name: 'another certificate of the same name', text, serial: serial(b.certPem), want: undefined },
    { name: 'the chain certificate is not the leaf', text, serial: serial(a.chainPem), want: undefined },
    { name: 'no certificate', text: a.keyPem, serial: serial(a.certPem), want: undefined },
    { name: 'not PEM', text: 'junk', serial: serial(a.certPem), want: undefined },
    {
      name: 'a truncated leaf',
      text: a.keyPem + a.certPem.slice(0, 200),
      serial: serial(a.certPem),
      want: undefined,
    },
  ];
  for (const c of cases) assert.equal(leafPemOf(c.text, c.serial), c.want, c.name);
});
