/**
 * PEM helpers and the RFC 9773 §4.1 ARI certificate identifier.
 */
import '../lib/reflect-metadata.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AppError } from '../lib/errors.js';
import { ACME_CODES } from './errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

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

export function derToPem(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Parse the first certificate of a PEM text; AppError ACME_BAD_CERTIFICATE when impossible. */
export function parseCertificate(pem: string): x509.X509Certificate {
  const first = pemCertificates(pem)[0];
  if (!first) throw new AppError(ACME_CODES.badCertificate, 'no certificate in PEM');
  try {
    return new x509.X509Certificate(first);
  } catch (err) {
    throw new AppError(ACME_CODES.badCertificate, 'certificate cannot be parsed', { cause: err });
  }
}

/**
 * RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial number DER content octets).
 * Both inputs are hex; the serial must be the INTEGER's content octets as encoded (leading 00 kept).
 */
export function certIdFromHex(akiKeyIdHex: string, serialHex: string): string {
  const clean = (h: string): string => h.replace(/[^0-9a-f]/gi, '');
  let serial = clean(serialHex);
  if (serial.length % 2 === 1) serial = `0${serial}`;
  return `${Buffer.from(clean(akiKeyIdHex), 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

/** The ARI certID of the first certificate in `certPem`. */
export function certIdOf(certPem: string): string {
  const cert = parseCertificate(certPem);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  if (!aki?.keyId) throw new AppError(ACME_CODES.badCertificate, 'certificate has no authority key identifier');
  return certIdFromHex(aki.keyId, derSerialHex(cert));
}

/**
 * The serial's DER content octets in hex. @peculiar/x509 returns the raw INTEGER bytes; normalise to the
 * minimal two's-complement form DER requires, so a positive serial with the high bit set keeps its 00.
 */
function derSerialHex(cert: x509.X509Certificate): string {
  let hex = cert.serialNumber.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00') && parseInt(hex.slice(2, 4), 16) < 0x80) hex = hex.slice(2);
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return hex;
}

/** The CN of the issuer of the last (top) certificate in a chain text, for preferred-chain selection. */
export function topIssuerCn(chainText: string): string | undefined {
  const blocks = pemCertificates(chainText);
  const top = blocks[blocks.length - 1];
  if (!top) return undefined;
  const cert = new x509.X509Certificate(top);
  return cert.issuerName.getField('CN')[0];
}
