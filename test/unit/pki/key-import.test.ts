import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { tlv, seq } from '../../../src/pki/der.js';
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

const armour = (label: string, der: Buffer, extra = '') =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}${extra}\n-----END ${label}-----\n`;

test('importPrivateKey: every one-byte corruption of the DER gives what OpenSSL gives', async (t) => {
  for (const [name, key, type, label] of [
    ['P-256 PKCS#8', ec('prime256v1'), 'pkcs8', 'PRIVATE KEY'],
    ['P-384 SEC1', ec('secp384r1'), 'sec1', 'EC PRIVATE KEY'],
    ['RSA PKCS#1', rsa, 'pkcs1', 'RSA PRIVATE KEY'],
    ['RSA PKCS#8', rsa, 'pkcs8', 'PRIVATE KEY'],
  ] as const) {
    await t.test(name, () => {
      const der = key.export({ type, format: 'der' });
      // Every byte of EC keys with three patterns; RSA keys are long: every 5th byte.
      const step = der.length > 400 ? 5 : 1;
      for (let i = 0; i < der.length; i += step) {
        for (const x of [0x01, 0x80, 0xff]) {
          const bad = Buffer.from(der);
          bad[i] = bad[i]! ^ x;
          sameAsOpenSsl(armour(label, bad));
        }
      }
    });
  }
});

test('importPrivateKey: DER that is not canonical goes to OpenSSL, and gives what OpenSSL gives', async (t) => {
  const k = ec('prime256v1');
  const jwk = k.export({ format: 'jwk' });
  const d = tlv(0x04, Buffer.from(jwk.d!, 'base64url'));
  const v1 = tlv(0x02, Buffer.from([1]));
  const curve = tlv(0xa0, tlv(0x06, Buffer.from('2a8648ce3d030107', 'hex')));
  const pointBits = Buffer.concat([
    Buffer.from([0, 4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  const pub = tlv(0xa1, tlv(0x03, pointBits));
  const sec1 = (...parts: Buffer[]) => armour('EC PRIVATE KEY', seq(...parts));
  const pkcs8 = k.export({ type: 'pkcs8', format: 'der' });
  const pkcs8Body = pkcs8.subarray(pkcs8[1] === 0x81 ? 3 : 2);
  const rsa1 = rsa.export({ type: 'pkcs1', format: 'der' });
  const rsaBody = rsa1.subarray(4); // 30 82 LL LL
  const cases: Array<[string, string]> = [
    ['SEC1 with [1] before [0]', sec1(v1, d, pub, curve)],
    ['SEC1 with an extra NULL', sec1(v1, d, curve, pub, tlv(0x05, Buffer.alloc(0)))],
    ['SEC1 with [1] twice', sec1(v1, d, curve, pub, pub)],
    [
      'SEC1 with bytes after the OID inside [0]',
      sec1(v1, d, tlv(0xa0, Buffer.concat([curve.subarray(2), Buffer.from([5, 0])])), pub),
    ],
    [
      'SEC1 with bytes after the BIT STRING inside [1]',
      sec1(v1, d, curve, tlv(0xa1, Buffer.concat([pub.subarray(2), Buffer.from([5, 0])]))),
    ],
    [
      'SEC1 with a long-form length',
      armour('EC PRIVATE KEY', Buffer.concat([Buffer.from([0x30, 0x81]), seq(v1, d, curve, pub).subarray(1)])),
    ],
    ['PKCS#8 with a trailing element', armour('PRIVATE KEY', seq(pkcs8Body, tlv(0x05, Buffer.alloc(0))))],
    ['base64 after the padding', sec1(v1, d, curve, pub).replace('\n-----END', '\nAAAA\n-----END')],
    [
      'RSA PKCS#1 with a padded INTEGER',
      armour('RSA PRIVATE KEY', seq(Buffer.from([0x02, 0x02, 0x00, 0x00]), rsaBody.subarray(3))),
    ],
  ];
  // The well-formed SEC1 built the same way is read as a JWK (so the cases above differ only in what they say).
  assert.ok(privateKeyJwk(sec1(v1, d, curve, pub)), 'the canonical SEC1 is read');
  assert.ok(sec1(v1, d, curve, pub).includes('='), 'its base64 ends in padding');
  for (const [name, text] of cases) {
    await t.test(name, () => {
      assert.equal(privateKeyJwk(text), undefined, 'left to OpenSSL');
      sameAsOpenSsl(text);
    });
  }
});
