/**
 * The fixtures of bench/scale: a Marathon cluster whose ACME labels ask for about `certs` certificates,
 * and a storage directory already holding a valid certificate for each of them, as a 0.6.1 volume
 * would (certs/<name>.pem = key + leaf + chain, no state records). One CA signs every leaf; every leaf
 * has its own EC P-256 key. Also the adoption floor: one key parse and one leaf parse per file.
 */
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertSpec } from '../src/domain/types.js';
import { silentLogger } from '../src/lib/logger.js';
import { appsToSnapshot } from '../src/sources/marathon/translate.js';
import { buildBundle } from '../src/store/bundle.js';
import { FileStore } from '../src/store/index.js';
import { generateCluster } from '../test/support/marathon-simulator/generator.js';

const DAY = 86_400_000;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * `apps` generated apps (the simulator's realistic shapes, ~1.5 KB each) with the number of ACME apps
 * chosen so that the daemon's own translation wants the number of certificates closest to `certs`.
 */
export function clusterFor(apps: number, certs: number): { apps: Record<string, unknown>[]; specs: CertSpec[] } {
  const specsOf = (acmeApps: number) => {
    const list = generateCluster({ apps, acmeApps });
    const snap = appsToSnapshot(list, { group: 'external', allowMultipleCerts: false, san: false });
    return { apps: list, specs: [...snap.specs] };
  };
  let acme = Math.min(apps, certs);
  let best = specsOf(acme);
  for (let i = 0; i < 6 && best.specs.length !== certs; i++) {
    acme = Math.max(1, Math.min(apps, Math.round((acme * certs) / best.specs.length)));
    const next = specsOf(acme);
    if (Math.abs(next.specs.length - certs) >= Math.abs(best.specs.length - certs)) break;
    best = next;
  }
  return best;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

async function ecKeys(): Promise<{ keys: webcrypto.CryptoKeyPair; pem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return { keys, pem: `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n` };
}

/**
 * Write a 0.6.1-style storage directory with one valid certificate per spec, as a CA issues them
 * (one issuing CA; each leaf with its own EC P-256 key, SAN, key usages, authority and subject key
 * identifiers); returns the ms it took.
 */
export async function writeStore(dir: string, specs: readonly CertSpec[]): Promise<number> {
  const t0 = performance.now();
  await new FileStore({ dir, logger: silentLogger() }).init();
  const now = Date.now();
  const ca = await ecKeys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=scale bench CA',
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now + 365 * DAY),
    keys: ca.keys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  const caPem = `${caCert.toString('pem')}\n`;
  const aki = await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey);
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const one = async (spec: CertSpec): Promise<void> => {
    const key = await ecKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(16).toString('hex').replace(/^./, '4'),
      subject: `CN=${spec.names[0]!}`,
      issuer: caCert.subject,
      notBefore: new Date(now - 10 * DAY),
      notAfter: new Date(now + 80 * DAY), // 90 days; renewal (two thirds) is 50 days away
      publicKey: key.keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(spec.names.map((value) => ({ type: 'dns' as const, value }))),
        aki,
        await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey),
      ],
    });
    const bundle = buildBundle({ keyPem: key.pem, certPem: `${cert.toString('pem')}\n`, chainPem: caPem });
    writeFileSync(join(dir, 'certs', `${spec.name}.pem`), bundle, { mode: 0o600 });
  };
  for (let i = 0; i < specs.length; i += 64) await Promise.all(specs.slice(i, i + 64).map(one));
  return performance.now() - t0;
}

/**
 * The adoption floor: for every file in certs/, read it, parse its private key once and its leaf
 * once (Node's native parsers). Wall and CPU milliseconds for all files.
 */
export function adoptionFloor(dir: string): { wall: number; cpu: number } {
  const certs = join(dir, 'certs');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const f of readdirSync(certs)) {
    if (!f.endsWith('.pem')) continue;
    const text = readFileSync(join(certs, f), 'utf8');
    const keyEnd = text.indexOf('-----END PRIVATE KEY-----') + 25;
    const leafEnd = text.indexOf('-----END CERTIFICATE-----', keyEnd) + 25;
    createPrivateKey(text.slice(0, keyEnd));
    new X509Certificate(text.slice(keyEnd, leafEnd));
  }
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}
