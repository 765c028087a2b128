/**
 * The certificate hierarchies the ACME test server issues under: the classic one (one intermediate,
 * its alternate cross-signed by another root) and Let's Encrypt's Gen Y shape (landscape-2026-12 §1.1):
 *
 *   default    EE ← YE1 ← Root YE (cross-signed by X2) ← ISRG Root X2 (cross-signed by X1)
 *   alternate  EE ← YE1 ← Root YE (cross-signed by X2)
 *   alternate  EE ← YE1
 *
 * Names carry "(test)" so no test can mistake them for the real ones.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface Ca {
  name: string;
  key: webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
}

export interface Hierarchy {
  /** The CA that signs the leaves. */
  issuing: Ca;
  /** The certificates after the leaf, per chain: [0] the default, then the alternates in order. */
  chains: x509.X509Certificate[][];
  /** The issuer CN of each chain's top certificate, same order. */
  tops: string[];
}

const ec = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ecSign = { name: 'ECDSA', hash: 'SHA-256' } as const;

function validity(): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + 86_400_000) };
}

/** A CA certificate: self-signed, or issued by `issuer`. */
export async function makeCa(name: string, issuer?: Ca): Promise<Ca> {
  const key = (await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex').replace(/^./, '1'),
    subject: `CN=${name}`,
    issuer: issuer ? issuer.cert.subject : `CN=${name}`,
    ...validity(),
    publicKey: key.publicKey,
    signingKey: (issuer ?? { key }).key.privateKey,
    signingAlgorithm: ecSign,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
      ...(issuer ? [await x509.AuthorityKeyIdentifierExtension.create(issuer.key.publicKey)] : []),
    ],
  });
  return { name, key, cert };
}

/** `subject`'s name and key, certified by `issuer` (a cross-sign). */
async function crossSign(subject: Ca, issuer: Ca): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex').replace(/^./, '2'),
    subject: subject.cert.subject,
    issuer: issuer.cert.subject,
    ...validity(),
    publicKey: subject.key.publicKey,
    signingKey: issuer.key.privateKey,
    signingAlgorithm: ecSign,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(subject.key.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.key.publicKey),
    ],
  });
}

/** Classic: `EE ← E1 (by R1)`, alternate `EE ← E1 (cross-signed by X2)`. */
export async function classicHierarchy(): Promise<Hierarchy> {
  const root = await makeCa('Test Root R1');
  const altRoot = await makeCa('Test Alt Root X2');
  const inter = await makeCa('Test Intermediate E1', root);
  return { issuing: inter, chains: [[inter.cert], [await crossSign(inter, altRoot)]], tops: [root.name, altRoot.name] };
}

/**
 * Let's Encrypt's Gen Y shape (see the module comment). `short-default`: the default is `EE ← YE1` and
 * the only alternate the full `EE ← YE1 ← Root YE ← ISRG Root X2 ← ISRG Root X1` (X2 then tops no chain).
 */
export async function genYHierarchy(variant: 'long-default' | 'short-default' = 'long-default'): Promise<Hierarchy> {
  const x1 = await makeCa('ISRG Root X1 (test)');
  const x2 = await makeCa('ISRG Root X2 (test)');
  const ye = await makeCa('Root YE (test)');
  const ye1 = await makeCa('YE1 (test)', ye);
  const yeByX2 = await crossSign(ye, x2);
  const x2ByX1 = await crossSign(x2, x1);
  if (variant === 'short-default')
    return { issuing: ye1, chains: [[ye1.cert], [ye1.cert, yeByX2, x2ByX1]], tops: [ye.name, x1.name] };
  return {
    issuing: ye1,
    chains: [[ye1.cert, yeByX2, x2ByX1], [ye1.cert, yeByX2], [ye1.cert]],
    tops: [x1.name, x2.name, ye.name],
  };
}
