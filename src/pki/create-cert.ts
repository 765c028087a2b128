/**
 * Creating and signing X.509 certificates: the self-signed fallback `default.pem`, and test CAs.
 *
 * Contract: SHA-256 signatures with ECDSA (P-256/P-384) or RSA PKCS#1 v1.5 keys; results are PEM ending
 * in a newline. @peculiar/x509 is loaded on first use only: it costs ~150 ms at start-up and needs a
 * Reflect metadata polyfill first. Reading certificates (x509.ts) uses node:crypto only.
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import type * as X509Lib from '@peculiar/x509';
import type { KeyType } from '../lib/key-types.js';
import { generateKey } from './keys.js';
import { ensureNewline } from './pem.js';

let x509Lib: Promise<typeof X509Lib> | undefined;
function loadX509(): Promise<typeof X509Lib> {
  x509Lib ??= import('reflect-metadata').then(async () => {
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as Parameters<typeof lib.cryptoProvider.set>[0]);
    return lib;
  });
  return x509Lib;
}

export interface CreateCertificateOptions {
  /** Subject DN, e.g. `CN=*` or `CN=a.example`. */
  readonly subject: string;
  /** Private key of the subject (its public half goes in the certificate). */
  readonly keyPem: string;
  /** The issuer; omitted = self-signed with `keyPem`. */
  readonly issuer?: { readonly certPem: string; readonly keyPem: string };
  /** SAN dNSNames; none = no SAN extension. */
  readonly names?: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA certificate (basicConstraints CA:true, keyCertSign). */
  readonly isCa?: boolean;
  /** Add no extensions at all (0.6.1's default.pem had none). */
  readonly noExtensions?: boolean;
  /** Hex serial; random 16 bytes (positive) when omitted. */
  readonly serial?: string;
  /** Hex key identifier of an Authority Key Identifier extension (RFC 5280 §4.2.1.1); none when omitted. */
  readonly authorityKeyId?: string;
}

/** Create and sign an X.509 certificate with SHA-256. Returns its PEM (ending in a newline). */
export async function createCertificate(opts: CreateCertificateOptions): Promise<string> {
  const x509 = await loadX509();
  const signer = opts.issuer ?? { certPem: undefined, keyPem: opts.keyPem };
  const signingKey = await importSigningKey(signer.keyPem);
  const publicDer = createPublicKey(opts.keyPem).export({ type: 'spki', format: 'der' });
  const issuerName = signer.certPem === undefined ? opts.subject : new x509.X509Certificate(signer.certPem).subject;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serial ?? randomSerial(),
    subject: opts.subject,
    issuer: issuerName,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: new Uint8Array(publicDer),
    signingKey: signingKey.key,
    signingAlgorithm: signingKey.algorithm,
    extensions: opts.noExtensions ? [] : certificateExtensions(x509, opts),
  });
  return ensureNewline(cert.toString('pem'));
}

function certificateExtensions(x509: typeof X509Lib, opts: CreateCertificateOptions): X509Lib.Extension[] {
  const ext: X509Lib.Extension[] = [];
  if (opts.isCa) {
    ext.push(new x509.BasicConstraintsExtension(true, undefined, true));
    ext.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    ext.push(new x509.BasicConstraintsExtension(false, undefined, true));
    ext.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    );
    ext.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  }
  if (opts.names && opts.names.length > 0) {
    ext.push(new x509.SubjectAlternativeNameExtension(opts.names.map((value) => ({ type: 'dns' as const, value }))));
  }
  if (opts.authorityKeyId !== undefined) ext.push(new x509.AuthorityKeyIdentifierExtension(opts.authorityKeyId));
  return ext;
}

/** A positive random serial of 16 bytes, hex (top bit cleared so DER needs no sign byte). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

async function importSigningKey(
  keyPem: string,
): Promise<{ key: webcrypto.CryptoKey; algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams }> {
  const obj = createPrivateKey(keyPem);
  const der = obj.export({ type: 'pkcs8', format: 'der' });
  if (obj.asymmetricKeyType === 'ec') {
    const curve = obj.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
    return { key, algorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams };
  }
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  return { key, algorithm };
}

/**
 * The fallback certificate for `default.pem`, with 0.6.1's properties (behaviour spec §5.5): an RSA
 * 2048 key, subject and issuer `CN=*`, notBefore now − `backdateDays`, notAfter now + `days`, SHA-256,
 * no extensions. Returns the key (PKCS#8) and the certificate; the file is `keyPem + certPem`.
 */
export async function selfSignedCert(
  options: { cn?: string; days?: number; backdateDays?: number; keyType?: KeyType; now?: Date } = {},
): Promise<{ keyPem: string; certPem: string }> {
  const now = options.now ?? new Date();
  const day = 86_400_000;
  const notBefore = new Date(now.getTime() - (options.backdateDays ?? 1) * day);
  const notAfter = new Date(now.getTime() + (options.days ?? 3650) * day);
  const { keyPem } = await generateKey(options.keyType ?? 'rsa2048');
  const subject = `CN=${options.cn ?? '*'}`;
  const certPem = await createCertificate({ subject, keyPem, notBefore, notAfter, noExtensions: true });
  return { keyPem, certPem };
}
