/**
 * Certificate keys and CSRs (RFC 8555 §7.4 finalize; RFC 2986 PKCS#10) with WebCrypto + @peculiar/x509.
 * A fresh key is made for every order: keys are never reused across certificates.
 */
import '../lib/reflect-metadata.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { KeyType } from '../domain/types.js';
import { derToPem } from './pem.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

function algorithms(keyType: KeyType): { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.Algorithm | webcrypto.EcdsaParams } {
  switch (keyType) {
    case 'ec256':
      return { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams };
    case 'ec384':
      return { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams };
    case 'rsa2048':
    case 'rsa3072':
    case 'rsa4096': {
      const bits = Number(keyType.slice(3));
      const gen: webcrypto.RsaHashedKeyGenParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
      return { gen, sign: { name: 'RSASSA-PKCS1-v1_5' } };
    }
  }
}

/**
 * A fresh private key of `keyType` (PKCS#8 PEM) and a CSR (DER) for `names`: every name in the
 * subjectAltName; the first as CN when it fits (RFC 5280 ub-common-name = 64).
 */
export async function createKeyAndCsr(names: readonly string[], keyType: KeyType): Promise<{ keyPem: string; csrDer: Buffer }> {
  const { gen, sign } = algorithms(keyType);
  const keys = (await webcrypto.subtle.generateKey(gen, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const first = names[0]!;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(first.length <= 64 ? { name: [{ CN: [first] }] } : {}),
    keys,
    signingAlgorithm: sign,
    extensions: [new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: 'dns' as const, value: n })))],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: derToPem('PRIVATE KEY', pkcs8), csrDer: Buffer.from(csr.rawData) };
}
