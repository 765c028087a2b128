import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  generateKey,
  keyMatchesCert,
  keyTypeOf,
  parseBundle,
  readLeaf,
  selfSignedCert,
  splitPemBlocks,
} from '../../../src/lib/pki.js';
import { KEY_TYPES } from '../../../src/domain/types.js';
import { createCertFactory } from '../../support/cert-factory.js';

test('generateKey produces PKCS#8 keys of every key type, and keyTypeOf recognises them', () => {
  for (const kt of KEY_TYPES.filter((k) => k !== 'rsa4096')) {
    const { keyPem, keyObject } = generateKey(kt);
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/, kt);
    assert.ok(keyPem.endsWith('-----END PRIVATE KEY-----\n'), kt);
    assert.equal(keyTypeOf(keyPem), kt);
    assert.equal(keyTypeOf(keyObject), kt);
  }
  assert.equal(keyTypeOf('not a key'), 'unknown');
});

test('splitPemBlocks keeps blocks, ignores text between them, rejects truncation', () => {
  const { keyPem } = generateKey('ec256');
  const blocks = splitPemBlocks(`subject=foo\n${keyPem}\nBag Attributes\n${keyPem}`);
  assert.equal(blocks.length, 2);
  assert.equal(blocks[0]!.label, 'PRIVATE KEY');
  assert.equal(blocks[0]!.pem, keyPem);
  assert.throws(() => splitPemBlocks(keyPem.slice(0, keyPem.length - 20)), { code: 'PEM_INVALID' });
  assert.throws(() => splitPemBlocks(keyPem.replace('-----END PRIVATE KEY-----', '-----END CERTIFICATE-----')), {
    code: 'PEM_INVALID',
  });
  assert.throws(() => splitPemBlocks(keyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!')), { code: 'PEM_INVALID' });
  assert.deepEqual(splitPemBlocks(''), []);
});

test('parseBundle, keyMatchesCert and readLeaf on a CA-issued bundle', async () => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['b.example.test', 'A.example.test'], { cn: 'a.example.test' });
  const parsed = parseBundle(issued.keyPem + issued.certPem + issued.chainPem);
  assert.equal(parsed.certPems.length, 2);
  assert.ok(keyMatchesCert(parsed.keyPem, parsed.certPems[0]!));
  assert.ok(!keyMatchesCert(generateKey('ec256').keyPem, parsed.certPems[0]!));
  const leaf = readLeaf(issued.certPem);
  assert.deepEqual(leaf.names, ['a.example.test', 'b.example.test'], 'lower case, CN first');
  assert.equal(leaf.serial, new X509Certificate(issued.certPem).serialNumber.toLowerCase());
  assert.match(leaf.issuer, /intermediate/);
  assert.equal(leaf.selfSigned, false);
  assert.throws(() => parseBundle(issued.certPem), { code: 'PEM_INVALID' }, 'no key');
  assert.throws(() => parseBundle(issued.keyPem), { code: 'PEM_INVALID' }, 'no certificate');
  assert.throws(() => parseBundle(issued.keyPem + issued.keyPem + issued.certPem), { code: 'PEM_INVALID' }, 'two keys');
});

test('selfSignedCert has the properties of 0.6.1 default.pem (behaviour spec 5.5)', async () => {
  const before = Date.now();
  const { keyPem, certPem } = await selfSignedCert({ cn: '*', days: 3650, backdateDays: 1 });
  const cert = new X509Certificate(certPem);
  assert.equal(cert.subject, 'CN=*');
  assert.equal(cert.issuer, 'CN=*');
  const day = 86_400_000;
  assert.ok(Math.abs(new Date(cert.validFrom).getTime() - (before - day)) < 10_000, 'notBefore = now - 1 day');
  assert.ok(Math.abs(new Date(cert.validTo).getTime() - (before + 3650 * day)) < 10_000, 'notAfter = now + 3650 days');
  assert.equal(keyTypeOf(keyPem), 'rsa2048');
  assert.ok(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(keyPem))));
  assert.ok(readLeaf(certPem).selfSigned);
  assert.equal(readLeaf(certPem).names.length, 0, 'no SAN');
  const { execFileSync } = await import('node:child_process');
  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: certPem }).toString();
  assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.doesNotMatch(text, /X509v3 extensions/, 'no extensions, like the original');
});

test("parseSubjectAltName reads Node's SAN text, including JSON-quoted values", async () => {
  const { parseSubjectAltName } = await import('../../../src/lib/pki.js');
  assert.deepEqual(parseSubjectAltName('DNS:a.example, DNS:b.example, IP Address:127.0.0.1'), [
    { type: 'DNS', value: 'a.example' },
    { type: 'DNS', value: 'b.example' },
    { type: 'IP Address', value: '127.0.0.1' },
  ]);
  assert.deepEqual(parseSubjectAltName('DNS:"evil, DNS:x.example", DNS:ok.example'), [
    { type: 'DNS', value: 'evil, DNS:x.example' },
    { type: 'DNS', value: 'ok.example' },
  ]);
  assert.deepEqual(parseSubjectAltName('DNS:"q\\"uote"'), [{ type: 'DNS', value: 'q"uote' }]);
  assert.deepEqual(parseSubjectAltName(''), []);
});
