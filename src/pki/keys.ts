/**
 * Private keys of certificates and accounts: the one key generator, and recognising a key's type.
 *
 * Contract: keys are generated off the main thread (RSA 4096 takes ~0.5 s) and returned as PKCS#8 PEM
 * ending in a newline; a key is never reused across certificates (callers ask for a fresh one).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyType } from '../lib/key-types.js';
import { ensureNewline } from './pem.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A fresh private key of `keyType`: PKCS#8 PEM (ending in a newline) and the KeyObject. */
export async function generateKey(keyType: KeyType): Promise<{ keyPem: string; keyObject: KeyObject }> {
  const { privateKey } = keyType.startsWith('ec')
    ? await generateKeyPairAsync('ec', { namedCurve: keyType === 'ec384' ? 'P-384' : 'P-256' })
    : await generateKeyPairAsync('rsa', { modulusLength: Number(keyType.slice(3)) });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { keyPem: ensureNewline(keyPem), keyObject: privateKey };
}

/** The `KeyType` of a private (or public) key, or `unknown` (e.g. RSA 1024, Ed25519, P-521). Never throws. */
export function keyTypeOf(key: string | KeyObject): KeyType | 'unknown' {
  let obj: KeyObject;
  try {
    obj = typeof key === 'string' ? toKeyObject(key) : key;
  } catch {
    return 'unknown';
  }
  const details = obj.asymmetricKeyDetails ?? {};
  if (obj.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ec256';
    if (details.namedCurve === 'secp384r1') return 'ec384';
    return 'unknown';
  }
  if (obj.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `rsa${bits}` as KeyType;
  }
  return 'unknown';
}

function toKeyObject(pem: string): KeyObject {
  return pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
}

/** True when the private key `keyPem` belongs to the public key of `certPem`. Never throws. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
