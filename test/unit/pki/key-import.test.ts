import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { importPrivateKey, privateKeyJwk } from '../../../src/pki/key-import.js';

/** What a caller can tell of a key: its type, details and public key (what checkPrivateKey compares). */
function shape(k: KeyObject): unknown {
  return {
    type: k.asymmetricKeyType,
    details: k.asymmetricKeyDetails,
    spki: createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('hex'),
  };
}

/** `importPrivateKey(pem)` behaves as `createPrivateKey(pem)`: both throw, or both give the same key. */
function sameAsOpenSsl(pem: string): void {
  let want: unknown;
  let wantThrew = false;
  try {
    want = shape(createPrivateKey(pem));
  } catch {
    wantThrew = true;
  }
  let got: unknown;
  let gotThrew = false;
  try {
    got = shape(importPrivateKey(pem));
  } catch {
    gotThrew = true;
  }
  assert.equal(gotThrew, wantThrew, 'throws where createPrivateKey throws');
  if (!wantThrew) assert.deepEqual(got, want);
}

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const pem = (k: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1') => k.export({ type, format: 'pem' }).toString();

/** SEC1 DER of `k` rebuilt: without its public point, or with it compressed. */
function sec1Variant(k: KeyObject, variant: 'no-point' | 'compressed'): string {
  const jwk = k.export({ format: 'jwk' });
  const d = Buffer.from(jwk.d!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const x = Buffer.from(jwk.x!, 'base64url');
  const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag, body.length]), body]);
  const curve = tlv(0xa0, Buffer.from('06082a8648ce3d030107', 'hex'));
  const point = Buffer.concat([Buffer.from([(y.at(-1)! & 1) === 1 ? 3 : 2]), x]);
  const parts = [tlv(0x02, Buffer.from([1])), tlv(0x04, d), curve];
  if (variant === 'compressed') parts.push(tlv(0xa1, tlv(0x03, Buffer.concat([Buffer.from([0]), point]))));
  const der = tlv(0x30, Buffer.concat(parts));
  const b64 = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN EC PRIVATE KEY-----\n${b64}\n-----END EC PRIVATE KEY-----\n`;
}

test('importPrivateKey: the key OpenSSL decodes, through a JWK where the DER allows it', async (t) => {
  const p256 = ec('prime256v1');
  const cases: Array<[string, string, boolean]> = [
    ['P-256 PKCS#8', pem(p256, 'pkcs8'), true],
    ['P-256 SEC1', pem(p256, 'sec1'), true],
    ['P-384 PKCS#8', pem(ec('secp384r1'), 'pkcs8'), true],
    ['P-521 PKCS#8', pem(ec('secp521r1'), 'pkcs8'), true],
    ['RSA 2048 PKCS#8', pem(rsa, 'pkcs8'), true],
    ['RSA 2048 PKCS#1', pem(rsa, 'pkcs1'), true],
    ['secp256k1 (not a JWK curve here): OpenSSL decodes it', pem(ec('secp256k1'), 'pkcs8'), false],
    ['Ed25519: OpenSSL decodes it', pem(generateKeyPairSync('ed25519').privateKey, 'pkcs8'), false],
    ['SEC1 without the public point: OpenSSL computes it', sec1Variant(p256, 'no-point'), false],
    ['SEC1 with a compressed point: OpenSSL decodes it', sec1Variant(p256, 'compressed'), false],
    ['not a key at all', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', false],
  ];
  for (const [name, text, viaJwk] of cases) {
    await t.test(name, () => {
      assert.equal(privateKeyJwk(text) !== undefined, viaJwk, viaJwk ? 'read as a JWK' : 'left to OpenSSL');
      sameAsOpenSsl(text);
    });
  }
});

test('importPrivateKey: every one-byte corruption of the DER gives what OpenSSL gives', async (t) => {
  for (const [name, key, type] of [
    ['P-256 PKCS#8', ec('prime256v1'), 'pkcs8'],
    ['RSA PKCS#1', rsa, 'pkcs1'],
  ] as const) {
    await t.test(name, () => {
      const text = pem(key, type);
      const [head, body, tail] = /^(-----BEGIN [A-Z ]+-----\n)([\s\S]+?)(-----END [A-Z ]+-----\n)$/
        .exec(text)!
        .slice(1);
      const der = Buffer.from(body!, 'base64');
      // RSA keys are long: every 7th byte of them, every byte of an EC key.
      const step = der.length > 400 ? 7 : 1;
      for (let i = 0; i < der.length; i += step) {
        const bad = Buffer.from(der);
        bad[i] = bad[i]! ^ 0x5a;
        const b64 = bad
          .toString('base64')
          .match(/.{1,64}/g)!
          .join('\n');
        sameAsOpenSsl(`${head}${b64}\n${tail}`);
      }
    });
  }
});
