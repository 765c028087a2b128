import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createCertificate, selfSignedCert } from '../../../src/pki/create-cert.js';
import { generateKey, keyTypeOf } from '../../../src/pki/keys.js';
import { readLeaf } from '../../../src/pki/x509.js';

const DAY = 86_400_000;

test('selfSignedCert has the properties of 0.6.1 default.pem (behaviour spec 5.5)', async () => {
  const now = new Date('2030-01-02T03:04:05Z');
  const { keyPem, certPem } = await selfSignedCert({ cn: '*', days: 3650, backdateDays: 1, now });
  const cert = new X509Certificate(certPem);
  assert.equal(cert.subject, 'CN=*');
  assert.equal(cert.issuer, 'CN=*');
  assert.equal(new Date(cert.validFrom).getTime(), now.getTime() - DAY, 'notBefore = now - 1 day');
  assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 3650 * DAY, 'notAfter = now + 3650 days');
  assert.equal(keyTypeOf(keyPem), 'rsa2048');
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
  assert.ok(readLeaf(certPem).selfSigned);
  assert.equal(readLeaf(certPem).names.length, 0, 'no SAN');
  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: certPem }).toString();
  assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.doesNotMatch(text, /X509v3 extensions/, 'no extensions, like the original');
});

test('createCertificate signs with the issuer, sets the serial and the SAN names', async () => {
  const notBefore = new Date('2030-01-01T00:00:00Z');
  const notAfter = new Date('2030-02-01T00:00:00Z');
  const root = await generateKey('ec384');
  const rootPem = await createCertificate({ subject: 'CN=root', keyPem: root.keyPem, isCa: true, notBefore, notAfter });
  const leafKey = await generateKey('ec256');
  const leafPem = await createCertificate({
    subject: 'CN=a.example.test',
    keyPem: leafKey.keyPem,
    issuer: { certPem: rootPem, keyPem: root.keyPem },
    names: ['a.example.test', 'b.example.test'],
    notBefore,
    notAfter,
    serial: '0a0b0c',
  });
  assert.ok(leafPem.endsWith('-----END CERTIFICATE-----\n'));
  const leaf = new X509Certificate(leafPem);
  assert.ok(leaf.verify(new X509Certificate(rootPem).publicKey));
  assert.equal(leaf.serialNumber.toLowerCase(), '0a0b0c');
  assert.equal(leaf.ca, false);
  assert.equal(new X509Certificate(rootPem).ca, true);
  assert.deepEqual(readLeaf(leafPem).names, ['a.example.test', 'b.example.test']);
});
