/**
 * Account key loading and creation.
 *
 * Accepts what `client.key` may hold: the PKCS#1 RSA key (`BEGIN RSA PRIVATE KEY`) that the Python
 * marathon-acme wrote (so existing users keep their Let's Encrypt account), PKCS#8 (RSA or EC) and SEC1 EC.
 * New installs get ECDSA P-256 in PKCS#8 PEM.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import { generateKey } from '../pki/keys.js';
import { ACME_CODES } from './errors.js';
import { algorithmFor } from './jws.js';

/** Parse an account key PEM; throws AppError ACME_ACCOUNT_KEY if unreadable or unsupported. */
export function parseAccountKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new AppError(ACME_CODES.accountKey, 'account key is not a readable private key PEM', { cause: err });
  }
  algorithmFor(key); // rejects unsupported types and RSA < 2048
  return key;
}

/** A fresh ECDSA P-256 account key as PKCS#8 PEM. */
export async function createAccountKeyPem(): Promise<string> {
  return (await generateKey('ec256')).keyPem;
}

/** The certificate's private key, to sign a revocation (§7.6); AppError ACME_BAD_CERTIFICATE if unusable. */
export function parseCertKey(pem: string): KeyObject {
  try {
    return parseAccountKey(pem); // same formats and JWS algorithms as an account key
  } catch (err) {
    throw new AppError(
      ACME_CODES.badCertificate,
      'the certificate key cannot sign a revocation (unreadable or unsupported key)',
      { cause: err },
    );
  }
}
