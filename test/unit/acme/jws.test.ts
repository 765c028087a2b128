import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { algorithmFor, eabJws, jwkThumbprint, publicJwk, signJws, type FlattenedJws } from '../../../src/acme/index.js';
import { AppError } from '../../../src/lib/errors.js';

const decode = (s: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;

function verifyJws(jws: FlattenedJws, key: KeyObject): boolean {
  const header = decode(jws.protected);
  const data = Buffer.from(`${jws.protected}.${jws.payload}`);
  const sig = Buffer.from(jws.signature, 'base64url');
  if (header['alg'] === 'RS256') return verify('sha256', data, createPublicKey(key), sig);
  const hash = header['alg'] === 'ES384' ? 'sha384' : 'sha256';
  return verify(hash, data, { key: createPublicKey(key), dsaEncoding: 'ieee-p1363' }, sig);
}

describe('JWS (RFC 8555 §6.2, RFC 7515)', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  it('signs ES256 with a raw 64-byte r||s signature and a jwk header', () => {
    const jws = signJws(ec, { onlyReturnExisting: true }, { url: 'https://ca/new-acct', nonce: 'abc' });
    const h = decode(jws.protected);
    assert.equal(h['alg'], 'ES256');
    assert.equal(h['nonce'], 'abc');
    assert.equal(h['url'], 'https://ca/new-acct');
    assert.deepEqual(h['jwk'], publicJwk(ec));
    assert.equal(h['kid'], undefined);
    assert.equal(Buffer.from(jws.signature, 'base64url').length, 64);
    assert.deepEqual(decode(jws.payload), { onlyReturnExisting: true });
    assert.ok(verifyJws(jws, ec));
  });

  it('signs RS256 with a kid header and never both jwk and kid', () => {
    const jws = signJws(
      rsa,
      { identifiers: [] },
      { url: 'https://ca/new-order', nonce: 'n1', kid: 'https://ca/acct/1' },
    );
    const h = decode(jws.protected);
    assert.equal(h['alg'], 'RS256');
    assert.equal(h['kid'], 'https://ca/acct/1');
    assert.equal(h['jwk'], undefined);
    assert.ok(verifyJws(jws, rsa));
  });

  it('uses an empty payload for POST-as-GET (§6.3)', () => {
    const jws = signJws(ec, '', { url: 'https://ca/order/1', nonce: 'n', kid: 'k' });
    assert.equal(jws.payload, '');
    assert.ok(verifyJws(jws, ec));
  });

  it('omits the nonce for the inner keyChange JWS (§7.3.5)', () => {
    const h = decode(signJws(ec, { account: 'a' }, { url: 'https://ca/key-change' }).protected);
    assert.equal('nonce' in h, false);
    assert.ok(h['jwk']);
  });

  it('supports ES384 and rejects unsupported keys', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const jws = signJws(p384, {}, { url: 'u', nonce: 'n' });
    assert.equal(decode(jws.protected)['alg'], 'ES384');
    assert.equal(Buffer.from(jws.signature, 'base64url').length, 96);
    assert.ok(verifyJws(jws, p384));
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    assert.throws(
      () => algorithmFor(small),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_ACCOUNT_KEY',
    );
    const ed = generateKeyPairSync('ed25519').privateKey;
    assert.throws(
      () => algorithmFor(ed),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_ACCOUNT_KEY',
    );
  });

  it('builds an External Account Binding JWS with HS256 over the account JWK (§7.3.4)', () => {
    const hmacKey = Buffer.from('secret-mac-key-0123456789').toString('base64url');
    const jws = eabJws(ec, { kid: 'kid-1', hmacKey }, 'https://ca/new-acct');
    assert.deepEqual(decode(jws.protected), { alg: 'HS256', kid: 'kid-1', url: 'https://ca/new-acct' });
    assert.deepEqual(decode(jws.payload), publicJwk(ec));
    const mac = createHmac('sha256', Buffer.from(hmacKey, 'base64url'))
      .update(`${jws.protected}.${jws.payload}`)
      .digest('base64url');
    assert.equal(jws.signature, mac);
  });
});

describe('JWK thumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    assert.equal(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB' }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    // The same key via node:crypto gives the same thumbprint (member order and extra members do not matter).
    const key = createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' });
    assert.equal(jwkThumbprint(publicJwk(key)), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('uses crv, kty, x, y for EC keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const jwk = publicJwk(ec);
    assert.equal(jwk.kty, 'EC');
    const { crv, x, y } = jwk as { crv: string; x: string; y: string };
    const manual = createHash('sha256').update(`{"crv":"${crv}","kty":"EC","x":"${x}","y":"${y}"}`).digest('base64url');
    assert.equal(jwkThumbprint(jwk), manual);
  });
});
