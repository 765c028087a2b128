import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { createKeyAndCsr } from '../../../src/pki/csr.js';
import { keyTypeOf } from '../../../src/pki/keys.js';

/** openssl's text of a DER CSR; `-verify` checks its signature. */
function opensslText(csrDer: Buffer, verify = true): string {
  const args = ['req', '-inform', 'DER', '-noout', '-text', ...(verify ? ['-verify'] : [])];
  return execFileSync('openssl', args, { input: csrDer, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

test('createKeyAndCsr: a fresh key and a CSR with every name in the SAN and the first as CN', async (t) => {
  const cases = [
    { name: 'ec256', keyType: 'ec256', check: /prime256v1|P-256/ },
    { name: 'ec384', keyType: 'ec384', check: /secp384r1|P-384/ },
    { name: 'rsa2048', keyType: 'rsa2048', check: /2048 bit/ },
  ] as const;
  for (const c of cases) {
    await t.test(c.name, async () => {
      const names = ['a.example', 'b.example', 'c.example'];
      const { keyPem, csrDer } = await createKeyAndCsr(names, c.keyType);
      assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      createPrivateKey(keyPem);
      assert.equal(keyTypeOf(keyPem), c.keyType);
      const text = opensslText(csrDer);
      assert.match(text, /CN\s*=\s*a\.example/);
      assert.match(text, /DNS:a\.example, DNS:b\.example, DNS:c\.example/);
      assert.match(text, c.check);
    });
  }
});

test('createKeyAndCsr omits the CN when the first name is longer than 64 characters', async () => {
  const long = `${'x'.repeat(60)}.example.com`;
  const { csrDer } = await createKeyAndCsr([long], 'ec256');
  const text = opensslText(csrDer, false);
  assert.doesNotMatch(text, /CN\s*=/);
  assert.match(text, new RegExp(`DNS:${long.replace(/\./g, '\\.')}`));
});

test('createKeyAndCsr never reuses a key', async () => {
  const a = await createKeyAndCsr(['a.example'], 'ec256');
  const b = await createKeyAndCsr(['a.example'], 'ec256');
  assert.notEqual(a.keyPem, b.keyPem);
});

test('CSRs never ask for the clientAuth EKU, nor any EKU or key usage: only the SAN is requested', async (t) => {
  for (const keyType of ['ec256', 'ec384', 'rsa2048'] as const) {
    await t.test(keyType, async () => {
      const { csrDer } = await createKeyAndCsr(['eku.example', 'www.eku.example'], keyType);
      const text = opensslText(csrDer);
      assert.doesNotMatch(text, /TLS Web Client Authentication|clientAuth|1\.3\.6\.1\.5\.5\.7\.3\.2/);
      assert.doesNotMatch(text, /Extended Key Usage|X509v3 Key Usage/);
      // The requested extensions are exactly one: the subjectAltName.
      const requested = text.slice(text.indexOf('Requested Extensions:'));
      assert.deepEqual(requested.match(/X509v3 [A-Za-z ]+:/g), ['X509v3 Subject Alternative Name:']);
      // And in the DER itself: no extKeyUsage OID (2.5.29.37) anywhere.
      assert.equal(csrDer.includes(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x25])), false);
    });
  }
});
