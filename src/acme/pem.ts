/**
 * PEM helpers and the RFC 9773 §4.1 ARI certificate identifier (node:crypto + the DER reader in der.ts).
 */
import { X509Certificate } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import { certificateIds } from './der.js';
import { ACME_CODES } from './errors.js';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CERTIFICATE blocks of a PEM text, normalised to LF and each ending with a newline. */
export function pemCertificates(text: string): string[] {
  return (text.replace(/\r\n/g, '\n').match(CERT_BLOCK) ?? []).map((b) => `${b}\n`);
}

/** Split an `application/pem-certificate-chain` (RFC 8555 §9.1) into the leaf and the rest. */
export function splitChain(text: string): { certPem: string; chainPem: string } {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) throw new AppError(ACME_CODES.badResponse, 'certificate download holds no certificate');
  return { certPem: blocks[0]!, chainPem: blocks.slice(1).join('') };
}

/** Parse the first certificate of a PEM text; AppError ACME_BAD_CERTIFICATE when impossible. */
export function parseCertificate(pem: string): X509Certificate {
  const first = pemCertificates(pem)[0];
  if (!first) throw new AppError(ACME_CODES.badCertificate, 'no certificate in PEM');
  try {
    return new X509Certificate(first);
  } catch (err) {
    throw new AppError(ACME_CODES.badCertificate, 'certificate cannot be parsed', { cause: err });
  }
}

/**
 * RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial number DER content octets).
 * Both inputs are hex (colons allowed); the serial must be the INTEGER's content octets (leading 00 kept).
 */
export function certIdFromHex(akiKeyIdHex: string, serialHex: string): string {
  const clean = (h: string): string => h.replace(/[^0-9a-f]/gi, '');
  let serial = clean(serialHex);
  if (serial.length % 2 === 1) serial = `0${serial}`;
  return `${Buffer.from(clean(akiKeyIdHex), 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

/** The ARI certID of the first certificate in `certPem`, from its DER (serial octets exactly as encoded). */
export function certIdOf(certPem: string): string {
  const der = parseCertificate(certPem).raw;
  let ids: ReturnType<typeof certificateIds>;
  try {
    ids = certificateIds(der);
  } catch (err) {
    throw new AppError(ACME_CODES.badCertificate, 'certificate DER cannot be read', { cause: err });
  }
  if (!ids.aki) throw new AppError(ACME_CODES.badCertificate, 'certificate has no authority key identifier');
  return `${ids.aki.toString('base64url')}.${ids.serial.toString('base64url')}`;
}

/** The CN of the issuer of the last (top) certificate in a chain text, for preferred-chain selection. */
export function topIssuerCn(chainText: string): string | undefined {
  const blocks = pemCertificates(chainText);
  const top = blocks[blocks.length - 1];
  if (!top) return undefined;
  // Node renders the issuer DN one attribute per line: "C=US\nO=...\nCN=...".
  return /^CN=(.*)$/m.exec(new X509Certificate(top).issuer)?.[1];
}
