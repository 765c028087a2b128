/**
 * Certificate signing requests (RFC 2986 PKCS#10) with node:crypto and the DER encoder, for an ACME
 * finalize (RFC 8555 §7.4). A fresh key is made for every request: keys are never reused across
 * certificates. Only the subjectAltName is requested: no key usage and never an extended key usage — the
 * clientAuth EKU is refused by some CAs and dropped by Let's Encrypt (landscape-2026-12 §1.4).
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { KeyType } from '../lib/key-types.js';
import { oid, seq, set, tlv } from './der.js';
import { generateKey } from './keys.js';

/** signatureAlgorithm (RFC 5758 §3.2 ecdsa-with-SHA256/384, RFC 4055 sha256WithRSAEncryption) and hash. */
function signatureAlgorithm(keyType: KeyType): { der: Buffer; hash: string } {
  if (keyType === 'ec256') return { der: seq(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
  if (keyType === 'ec384') return { der: seq(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
  return { der: seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00])), hash: 'sha256' };
}

/** PKCS#10 CertificationRequestInfo: subject CN (when it fits) and a SAN extension request. */
function requestInfo(names: readonly string[], key: KeyObject): Buffer {
  const first = names[0]!;
  // RFC 5280 ub-common-name = 64; a longer first name is only in the SAN.
  const subject = first.length <= 64 ? seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(first, 'utf8'))))) : seq();
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const san = seq(...names.map((n) => tlv(0x82, Buffer.from(n, 'ascii')))); // GeneralName dNSName [2] IA5String
  const extensions = seq(seq(oid('2.5.29.17'), tlv(0x04, san)));
  const attributes = tlv(0xa0, seq(oid('1.2.840.113549.1.9.14'), set(extensions))); // extensionRequest (RFC 2985)
  return seq(tlv(0x02, Buffer.from([0])), subject, spki, attributes);
}

/**
 * A fresh private key of `keyType` (PKCS#8 PEM) and a CSR (DER) for `names` (at least one): every name
 * in the subjectAltName; the first as CN when it fits (RFC 5280 ub-common-name = 64).
 */
export async function createKeyAndCsr(
  names: readonly string[],
  keyType: KeyType,
): Promise<{ keyPem: string; csrDer: Buffer }> {
  const { keyPem, keyObject } = await generateKey(keyType);
  return { keyPem, csrDer: csrFor(names, keyObject, keyType) };
}

/**
 * The CSR for `names` with an existing key (PKCS#8 PEM) of `keyType`: a resumed order is finalized with
 * the key persisted when it was placed (never a new one, which would not match what was stored).
 */
export function csrForKey(names: readonly string[], keyPem: string): { keyPem: string; csrDer: Buffer } {
  const key = createPrivateKey(keyPem);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  // The signature algorithm follows the key: P-384 signs with SHA-384, P-256 and RSA with SHA-256.
  const keyType: KeyType = key.asymmetricKeyType === 'rsa' ? 'rsa2048' : curve === 'secp384r1' ? 'ec384' : 'ec256';
  return { keyPem, csrDer: csrFor(names, key, keyType) };
}

function csrFor(names: readonly string[], keyObject: KeyObject, keyType: KeyType): Buffer {
  const info = requestInfo(names, keyObject);
  const alg = signatureAlgorithm(keyType);
  const signature = sign(alg.hash, info, keyObject); // DER ECDSA-Sig-Value / PKCS#1 v1.5, as X.509 wants
  return seq(info, alg.der, tlv(0x03, Buffer.from([0]), signature));
}
