import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { KEY_TYPES } from '../../../src/lib/key-types.js';
import { generateKey, keyMatchesCert, keyTypeOf } from '../../../src/pki/keys.js';
import { createCertFactory } from '../../support/cert-factory.js';

test('generateKey makes a PKCS#8 key of each key type, and keyTypeOf recognises it', async (t) => {
  for (const kt of KEY_TYPES.filter((k) => k !== 'rsa4096')) {
    await t.test(kt, async () => {
      const { keyPem, keyObject } = await generateKey(kt);
      assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.ok(keyPem.endsWith('-----END PRIVATE KEY-----\n'));
      createPrivateKey(keyPem);
      assert.equal(keyTypeOf(keyPem), kt);
      assert.equal(keyTypeOf(keyObject), kt);
    });
  }
});

test('keyTypeOf says unknown for what is not one of the key types', async (t) => {
  const cases: Array<{ name: string; key: () => string }> = [
    { name: 'not a key', key: () => 'not a key' },
    { name: 'RSA 1024', key: () => pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) },
    { name: 'Ed25519', key: () => pem(generateKeyPairSync('ed25519').privateKey) },
    { name: 'P-521', key: () => pem(generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey) },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(keyTypeOf(c.key()), 'unknown'));
  await t.test('a public key is recognised too', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    assert.equal(keyTypeOf(publicKey.export({ type: 'spki', format: 'pem' }).toString()), 'ec384');
  });
});

test('keyMatchesCert: the key of the certificate only, and never throws', async () => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['a.example.test']);
  assert.equal(keyMatchesCert(issued.keyPem, issued.certPem), true);
  assert.equal(keyMatchesCert((await generateKey('ec256')).keyPem, issued.certPem), false);
  assert.equal(keyMatchesCert('junk', issued.certPem), false);
  assert.equal(keyMatchesCert(issued.keyPem, 'junk'), false);
});

function pem(key: import('node:crypto').KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
