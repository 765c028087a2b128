/**
 * Certificates as the ACME client meets them, with ACME error codes: splitting a downloaded chain (with
 * the strict `splitPemBlocks` of pki/, so a truncated block is an error rather than merged into the
 * next), the RFC 9773 §4.1 ARI certificate identifier (from pki/'s serial and AKI reader) and the
 * chain's top issuer CN.
 */
import { X509Certificate } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import type { ErrorCode } from '../lib/error-codes.js';
import { splitPemBlocks } from '../pki/pem.js';
import { ariCertId } from '../pki/x509.js';
import { ACME_CODES } from './errors.js';

/**
 * The CERTIFICATE blocks of a PEM text, normalised (LF, 64-column base64, ending with a newline). Other
 * blocks and text between blocks are ignored; a truncated or corrupted block throws AppError with `code`
 * (default ACME_BAD_RESPONSE: the usual source is a CA download) and the PEM_INVALID error as cause.
 */
export function pemCertificates(text: string, code: ErrorCode = ACME_CODES.badResponse): string[] {
  try {
    return splitPemBlocks(text)
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.pem);
  } catch (err) {
    throw new AppError(code, 'malformed certificate PEM', { cause: err });
  }
}

/** Split an `application/pem-certificate-chain` (RFC 8555 §9.1) into the leaf and the rest. */
export function splitChain(text: string): { certPem: string; chainPem: string } {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) throw new AppError(ACME_CODES.badResponse, 'certificate download holds no certificate');
  return { certPem: blocks[0]!, chainPem: blocks.slice(1).join('') };
}

/** Parse the first certificate of a PEM text; AppError ACME_BAD_CERTIFICATE when impossible. */
export function parseCertificate(pem: string): X509Certificate {
  const first = pemCertificates(pem, ACME_CODES.badCertificate)[0];
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
  let id: string | undefined;
  try {
    id = ariCertId(der);
  } catch (err) {
    throw new AppError(ACME_CODES.badCertificate, 'certificate DER cannot be read', { cause: err });
  }
  if (id === undefined) throw new AppError(ACME_CODES.badCertificate, 'certificate has no authority key identifier');
  return id;
}

/**
 * The CN of the issuer of the last (top) certificate in a chain text, for preferred-chain selection;
 * undefined when the chain has no certificate or no issuer CN. Throws AppError ACME_BAD_RESPONSE for a
 * malformed chain.
 */
export function topIssuerCn(chainText: string): string | undefined {
  return issuerCns(chainText).at(-1);
}

/**
 * The issuer CN of every certificate of a chain text, leaf first (a certificate without an issuer CN
 * gives `undefined` in its place). Throws AppError ACME_BAD_RESPONSE for a malformed chain.
 */
export function issuerCns(chainText: string): (string | undefined)[] {
  return pemCertificates(chainText).map((pem) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (err) {
      throw new AppError(ACME_CODES.badResponse, 'certificate in chain cannot be parsed', { cause: err });
    }
    // Node renders the issuer DN one attribute per line: "C=US\nO=...\nCN=...".
    return /^CN=(.*)$/m.exec(cert.issuer)?.[1];
  });
}
