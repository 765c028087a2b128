/**
 * A tiny in-process CA (root → intermediate → leaf) built with `src/pki/`, for store and
 * HAProxy tests: issue bundles for any names, expired ones, or ones signed by a different CA.
 * Clients trust `rootPem` explicitly (`tls.connect({ ca })`), never by disabling verification.
 */
import type { IssuedCertificate, KeyType } from '../../src/domain/types.js';
import { createCertificate } from '../../src/pki/create-cert.js';
import { generateKey } from '../../src/pki/keys.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface IssueOptions {
  readonly keyType?: KeyType;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Subject CN; defaults to names[0]. */
  readonly cn?: string;
  /** Hex key identifier of an Authority Key Identifier extension (as a public CA's leaves have); none when omitted. */
  readonly authorityKeyId?: string;
}

export interface CertFactory {
  readonly rootPem: string;
  readonly intermediatePem: string;
  /** A leaf for `names` with the intermediate as its chain. */
  issue(names: readonly string[], options?: IssueOptions): Promise<IssuedCertificate>;
}

/** Make a root and an intermediate (EC P-256, valid ±1 day .. +30 days). */
export async function createCertFactory(label = 'marathon-acme store test'): Promise<CertFactory> {
  const now = Date.now();
  const root = await generateKey('ec256');
  const rootPem = await createCertificate({
    subject: `CN=${label} root`,
    keyPem: root.keyPem,
    isCa: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  const inter = await generateKey('ec256');
  const intermediatePem = await createCertificate({
    subject: `CN=${label} intermediate`,
    keyPem: inter.keyPem,
    isCa: true,
    issuer: { certPem: rootPem, keyPem: root.keyPem },
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  return {
    rootPem,
    intermediatePem,
    async issue(names, options = {}) {
      const key = await generateKey(options.keyType ?? 'ec256');
      const certPem = await createCertificate({
        subject: `CN=${options.cn ?? names[0]!}`,
        keyPem: key.keyPem,
        names,
        issuer: { certPem: intermediatePem, keyPem: inter.keyPem },
        notBefore: options.notBefore ?? new Date(Date.now() - HOUR),
        notAfter: options.notAfter ?? new Date(Date.now() + 10 * DAY),
        authorityKeyId: options.authorityKeyId,
      });
      return { keyPem: key.keyPem, certPem, chainPem: intermediatePem };
    },
  };
}
