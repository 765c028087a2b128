/**
 * Generic PKI helpers: key generation, PEM splitting, bundle parsing, key/certificate matching,
 * certificate reading and creation. No knowledge of the daemon; only the `KeyType` vocabulary.
 *
 * Contract: every function here is pure with respect to the file system (no I/O); the synchronous
 * ones never touch the event loop for long except key generation (RSA 4096 takes ~0.5 s).
 * Parse failures throw `AppError` with code `PEM_INVALID` or `CERT_INVALID` (with the cause kept).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  X509Certificate as NodeX509,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import type * as X509Lib from '@peculiar/x509';
import type { KeyType } from '../domain/types.js';
import { AppError } from './errors.js';

/**
 * @peculiar/x509 is loaded only to CREATE certificates (default.pem, test CAs): it costs ~150 ms at
 * start-up and needs a Reflect metadata polyfill first. Reading certificates uses node:crypto only.
 */
let x509Lib: Promise<typeof X509Lib> | undefined;
function loadX509(): Promise<typeof X509Lib> {
  x509Lib ??= import('reflect-metadata').then(async () => {
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as Parameters<typeof lib.cryptoProvider.set>[0]);
    return lib;
  });
  return x509Lib;
}

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, ...) and its text, ending in exactly one newline. */
export interface PemBlock {
  readonly label: string;
  readonly pem: string;
}

/** A bundle as HAProxy reads it: one private key, then the leaf, then the chain. */
export interface ParsedBundle {
  readonly keyPem: string;
  /** Leaf first, then the chain in file order; at least one. */
  readonly certPems: readonly string[];
}

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
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
/** Blocks that may accompany a key in files written by openssl (`openssl ecparam -genkey`); ignored. */
const IGNORED_LABELS = new Set(['EC PARAMETERS']);
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/** Generate a private key of `keyType`. Returns PKCS#8 PEM and the KeyObject. */
export function generateKey(keyType: KeyType): { keyPem: string; keyObject: KeyObject } {
  const { privateKey } = keyType.startsWith('ec')
    ? generateKeyPairSync('ec', { namedCurve: keyType === 'ec384' ? 'P-384' : 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: Number(keyType.slice(3)) });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { keyPem: ensureNewline(keyPem), keyObject: privateKey };
}

/** The `KeyType` of a private (or public) key, or `unknown` (e.g. RSA 1024, Ed25519, P-521). */
export function keyTypeOf(key: string | KeyObject): KeyType | 'unknown' {
  let obj: KeyObject;
  try {
    obj = typeof key === 'string' ? toKeyObject(key) : key;
  } catch {
    return 'unknown';
  }
  const details = obj.asymmetricKeyDetails ?? {};
  if (obj.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ec256';
    if (details.namedCurve === 'secp384r1') return 'ec384';
    return 'unknown';
  }
  if (obj.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `rsa${bits}` as KeyType;
  }
  return 'unknown';
}

function toKeyObject(pem: string): KeyObject {
  return pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
}

/** True when the private key `keyPem` belongs to the public key of `certPem`. Never throws. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  try {
    return new NodeX509(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// PEM
// ---------------------------------------------------------------------------------------------

/**
 * Split text into PEM blocks. Text between blocks is ignored (openssl writes `subject=` lines and
 * "Bag Attributes"), but a block that is not closed, is closed with another label, or whose body is
 * not base64 throws `PEM_INVALID` — that is what a truncated or corrupted file looks like.
 */
export function splitPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const lines = text.split(/\r?\n/);
  let open: { label: string; body: string[] } | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(line);
    const end = /^-----END ([A-Z0-9 ]+)-----$/.exec(line);
    if (open === null) {
      if (begin) open = { label: begin[1]!, body: [] };
      else if (end) throw pemError('END line without BEGIN');
      continue;
    }
    if (begin) throw pemError('BEGIN line inside a block');
    if (end) {
      if (end[1] !== open.label) throw pemError('END label differs from BEGIN label');
      blocks.push(closeBlock(open.label, open.body));
      open = null;
      continue;
    }
    if (!BASE64_LINE.test(line)) throw pemError('PEM body is not base64');
    open.body.push(line);
  }
  if (open !== null) throw pemError('PEM block not terminated (truncated?)');
  return blocks;
}

function closeBlock(label: string, body: string[]): PemBlock {
  const b64 = body.join('');
  if (b64.length === 0 || b64.length % 4 !== 0) throw pemError('PEM body has a wrong length (truncated?)');
  const wrapped = b64.match(/.{1,64}/g)!.join('\n');
  return { label, pem: `-----BEGIN ${label}-----\n${wrapped}\n-----END ${label}-----\n` };
}

function pemError(reason: string, cause?: unknown): AppError {
  return new AppError('PEM_INVALID', reason, { cause, details: { reason } });
}

/**
 * Parse a key+certificates bundle (the order HAProxy and 0.6.1 use: key, leaf, chain; the key may
 * also come after the certificates). Exactly one unencrypted private key and at least one
 * certificate are required, and every certificate must parse as X.509. Does NOT check that the key
 * matches (see `keyMatchesCert`). Throws `PEM_INVALID` / `CERT_INVALID`.
 */
export function parseBundle(text: string): ParsedBundle {
  const blocks = splitPemBlocks(text);
  const keys = blocks.filter((b) => KEY_LABELS.has(b.label));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const other = blocks.filter(
    (b) => !KEY_LABELS.has(b.label) && b.label !== 'CERTIFICATE' && !IGNORED_LABELS.has(b.label),
  );
  if (other.length > 0) throw pemError(`unexpected PEM block ${other[0]!.label}`);
  if (keys.length !== 1) throw pemError(keys.length === 0 ? 'no private key' : 'more than one private key');
  if (certs.length === 0) throw pemError('no certificate');
  try {
    createPrivateKey(keys[0]!.pem);
  } catch (err) {
    throw pemError('private key does not parse', err);
  }
  for (const c of certs) parseCert(c.pem);
  return { keyPem: keys[0]!.pem, certPems: certs.map((c) => c.pem) };
}

function parseCert(pem: string): NodeX509 {
  try {
    return new NodeX509(pem);
  } catch (err) {
    throw new AppError('CERT_INVALID', 'certificate does not parse', {
      cause: err,
      details: { reason: 'certificate does not parse' },
    });
  }
}

/** `text` with a trailing newline (PEM blocks in a bundle must each end in one). */
function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

// ---------------------------------------------------------------------------------------------
// Reading certificates
// ---------------------------------------------------------------------------------------------

/** Read the facts of a (leaf) certificate. Throws `CERT_INVALID`. */
export function readLeaf(certPem: string): LeafInfo {
  const cert = parseCert(certPem);
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
  };
}

function isSelfSigned(cert: NodeX509): boolean {
  try {
    return cert.checkIssued(cert) && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** SAN dNSName values of a certificate, lower case, deduplicated, in order. */
function sanDnsNames(cert: NodeX509): string[] {
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
    const cert = new NodeX509(certPem);
    const issuer = new NodeX509(issuerPem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Creating certificates (default.pem, test CAs)
// ---------------------------------------------------------------------------------------------

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
  const { keyPem } = generateKey(options.keyType ?? 'rsa2048');
  const subject = `CN=${options.cn ?? '*'}`;
  const certPem = await createCertificate({ subject, keyPem, notBefore, notAfter, noExtensions: true });
  return { keyPem, certPem };
}
