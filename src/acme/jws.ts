/**
 * JSON Web Signatures for ACME (RFC 8555 §6.2, RFC 7515 flattened JSON serialization) with node:crypto.
 *
 * Account keys: ECDSA P-256 (ES256), P-384 (ES384) or RSA >= 2048 bits (RS256). ECDSA signatures are the
 * raw r||s form JWS requires (RFC 7518 §3.4), not DER.
 */
import { createHash, createHmac, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import { ACME_CODES } from './errors.js';

export type JwsAlg = 'ES256' | 'ES384' | 'RS256';
/** A public JWK with only the members RFC 7638 needs. */
export type Jwk = { kty: 'EC'; crv: string; x: string; y: string } | { kty: 'RSA'; n: string; e: string };

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

export function b64u(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** The JWS algorithm for a private key; throws ACME_ACCOUNT_KEY for unsupported keys. */
export function algorithmFor(key: KeyObject): JwsAlg {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'secp384r1') return 'ES384';
  if (key.asymmetricKeyType === 'rsa' && (d?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new AppError(ACME_CODES.accountKey, 'unsupported account key type', {
    details: { keyType: key.asymmetricKeyType, curve: d?.namedCurve, bits: d?.modulusLength },
  });
}

/** The public JWK of a (private or public) key, with only the required members. */
export function publicJwk(key: KeyObject): Jwk {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  if (jwk.kty === 'EC') return { kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
  if (jwk.kty === 'RSA') return { kty: 'RSA', n: jwk.n!, e: jwk.e! };
  throw new AppError(ACME_CODES.accountKey, 'unsupported account key type', { details: { kty: jwk.kty } });
}

/**
 * RFC 7638 §3 JWK thumbprint: SHA-256 over the required members in lexicographic order, no whitespace;
 * base64url. Used in key authorizations (RFC 8555 §8.1).
 */
export function jwkThumbprint(jwk: Jwk): string {
  const canonical =
    jwk.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return b64u(createHash('sha256').update(canonical).digest());
}

function signBytes(key: KeyObject, alg: JwsAlg, data: Buffer): Buffer {
  const hash = alg === 'ES384' ? 'sha384' : 'sha256';
  return alg === 'RS256' ? cryptoSign(hash, data, key) : cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

/**
 * Sign `payload` (an object, or `''` for POST-as-GET, RFC 8555 §6.3). Exactly one of `jwk`/`kid` is put in
 * the protected header (§6.2: `jwk` for newAccount and revocation by certificate key, `kid` otherwise).
 * `nonce` is omitted for the inner JWS of keyChange (§7.3.5).
 */
export function signJws(
  key: KeyObject,
  payload: unknown,
  header: { url: string; nonce?: string; kid?: string },
): FlattenedJws {
  const alg = algorithmFor(key);
  const prot: Record<string, unknown> = { alg };
  if (header.kid !== undefined) prot['kid'] = header.kid;
  else prot['jwk'] = publicJwk(key);
  if (header.nonce !== undefined) prot['nonce'] = header.nonce;
  prot['url'] = header.url;
  const protectedB64 = b64u(JSON.stringify(prot));
  const payloadB64 = payload === '' ? '' : b64u(JSON.stringify(payload));
  const signature = signBytes(key, alg, Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'));
  return { protected: protectedB64, payload: payloadB64, signature: b64u(signature) };
}

/**
 * External Account Binding (RFC 8555 §7.3.4): the account's public JWK signed with HS256 under the
 * CA-issued MAC key (`hmacKey` is base64url, as CAs hand it out).
 */
export function eabJws(accountKey: KeyObject, eab: { kid: string; hmacKey: string }, url: string): FlattenedJws {
  const protectedB64 = b64u(JSON.stringify({ alg: 'HS256', kid: eab.kid, url }));
  const payloadB64 = b64u(JSON.stringify(publicJwk(accountKey)));
  const mac = createHmac('sha256', Buffer.from(eab.hmacKey, 'base64url'))
    .update(`${protectedB64}.${payloadB64}`)
    .digest();
  return { protected: protectedB64, payload: payloadB64, signature: b64u(mac) };
}
