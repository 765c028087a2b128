/**
 * Reading X.509 certificates (RFC 5280) with node:crypto and the DER reader: the facts of a leaf the
 * daemon cares about, who issued whom, and the serial + authority key identifier (the parts of an ARI
 * certificate id). Creating certificates is in create-cert.ts (it loads a heavier library).
 *
 * Contract: pure; parse failures throw `AppError` CERT_INVALID (cause kept), except where a function
 * says it never throws.
 */
import { X509Certificate } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import { children, oid, readTlv } from './der.js';

/** The facts about a leaf certificate the daemon cares about. */
export interface LeafInfo {
  /** SAN dNSName entries, lower case, in certificate order (subject CN first if it is among them). */
  readonly names: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Hex serial, lower case, without leading zero bytes' separators. */
  readonly serial: string;
  /** Issuer distinguished name, as Node renders it (one `attr=value` per line joined by ", "). */
  readonly issuer: string;
  /** Issued by its own key (subject == issuer and the signature verifies with its own public key). */
  readonly selfSigned: boolean;
  /**
   * The RFC 9773 §4.1 ARI certificate id (`ariCertId`); undefined when the certificate has no AKI
   * keyIdentifier, or its DER is beyond the DER reader (no renewal information can be asked for it).
   */
  readonly certId: string | undefined;
}

/** Parse one certificate PEM. Throws `CERT_INVALID`. */
export function parseX509(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new AppError('CERT_INVALID', 'certificate does not parse', {
      cause: err,
      details: { reason: 'certificate does not parse' },
    });
  }
}

/** Read the facts of a (leaf) certificate. Throws `CERT_INVALID`. */
export function readLeaf(certPem: string): LeafInfo {
  return leafInfoOf(parseX509(certPem));
}

/** The facts of an already parsed (leaf) certificate (so a caller that has one parses it only once). */
export function leafInfoOf(cert: X509Certificate): LeafInfo {
  const sanNames = sanDnsNames(cert);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1]?.toLowerCase();
  const names = cn !== undefined && sanNames.includes(cn) ? [cn, ...sanNames.filter((n) => n !== cn)] : sanNames;
  return {
    names,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    serial: cert.serialNumber.toLowerCase(),
    issuer: cert.issuer.split('\n').join(', '),
    selfSigned: isSelfSigned(cert),
    certId: safeAriCertId(cert),
  };
}

function safeAriCertId(cert: X509Certificate): string | undefined {
  try {
    return ariCertId(cert.raw);
  } catch {
    return undefined;
  }
}

function isSelfSigned(cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(cert) && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** SAN dNSName values of a certificate, lower case, deduplicated, in order. */
function sanDnsNames(cert: X509Certificate): string[] {
  const out: string[] = [];
  for (const { type, value } of parseSubjectAltName(cert.subjectAltName ?? '')) {
    const v = value.toLowerCase();
    if (type === 'DNS' && !out.includes(v)) out.push(v);
  }
  return out;
}

/**
 * Parse Node's `X509Certificate.subjectAltName` text: entries `TYPE:value` separated by ", "; a value
 * that could be ambiguous (commas, quotes, non-ASCII) is a JSON string literal (Node >= 17.3,
 * CVE-2021-44532), so a crafted name can never be split into two entries.
 */
export function parseSubjectAltName(text: string): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0)
      throw new AppError('CERT_INVALID', 'subjectAltName does not parse', { details: { reason: 'bad SAN text' } });
    const type = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      end += 1;
    } else {
      end = text.indexOf(', ', colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    out.push({ type, value });
    i = end + 2;
  }
  return out;
}

/** True when `issuerPem`'s key signed `certPem` (and the names line up). Never throws. */
export function isIssuedBy(certPem: string, issuerPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const issuer = new X509Certificate(issuerPem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

const AKI_OID = oid('2.5.29.35');

/**
 * Serial number content octets (exactly as encoded, a leading 00 kept) and the AKI keyIdentifier of a
 * DER certificate (RFC 5280 §4.1.2.2, §4.2.1.1); `aki` is undefined when the extension or its
 * keyIdentifier is absent. Throws RangeError when the DER does not read.
 */
export function certificateIds(der: Buffer): { serial: Buffer; aki: Buffer | undefined } {
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new RangeError('DER: no tbsCertificate');
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const serialTlv = fields[i++];
  if (serialTlv?.tag !== 0x02) throw new RangeError('DER: no serial');
  const serial = der.subarray(serialTlv.contentStart, serialTlv.end);
  const extsWrapper = fields.find((f) => f.tag === 0xa3);
  if (!extsWrapper) return { serial, aki: undefined };
  const exts = children(der, extsWrapper)[0];
  for (const ext of exts ? children(der, exts) : []) {
    const parts = children(der, ext);
    const id = parts[0];
    if (!id || !der.subarray(id.start, id.end).equals(AKI_OID)) continue;
    const value = parts[parts.length - 1]!; // extnValue OCTET STRING (after an optional critical BOOLEAN)
    const akiSeq = readTlv(der, value.contentStart);
    const keyId = children(der, akiSeq).find((c) => c.tag === 0x80); // [0] IMPLICIT KeyIdentifier
    return { serial, aki: keyId ? der.subarray(keyId.contentStart, keyId.end) : undefined };
  }
  return { serial, aki: undefined };
}

/**
 * The RFC 9773 §4.1 ARI certificate id of a DER certificate: base64url(AKI keyIdentifier) "."
 * base64url(serial number content octets, exactly as encoded); undefined when the certificate has no AKI
 * keyIdentifier. Throws RangeError when the DER does not read.
 */
export function ariCertId(der: Buffer): string | undefined {
  const { serial, aki } = certificateIds(der);
  // join makes one flat string; a template literal would keep a rope of three (thousands are kept).
  return aki && [aki.toString('base64url'), serial.toString('base64url')].join('.');
}
