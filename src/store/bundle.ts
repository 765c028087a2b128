/**
 * PEM bundles as HAProxy loads them from a `crt` directory: private key, leaf, chain, each block
 * ending in a newline (0.6.1's order, behaviour spec §5.4). Building and checking are pure.
 */
import type { IssuedCertificate, KeyType, StoredCert } from '../domain/types.js';
import { sameNames } from '../domain/name-rules.js';
import { AppError } from '../lib/errors.js';
import { X509Certificate } from 'node:crypto';
import { parseBundle } from '../pki/bundle.js';
import { importPrivateKey } from '../pki/key-import.js';
import { keyMatchesCert, keyTypeOf } from '../pki/keys.js';
import { splitPemBlocks } from '../pki/pem.js';
import { isIssuedBy, leafInfoOf, readLeaf, type LeafInfo } from '../pki/x509.js';

/** Stable reasons of a `BUNDLE_INVALID` error (in `details.reason`). */
export type BundleProblem = 'PEM_INVALID' | 'KEY_MISMATCH' | 'CHAIN_INVALID' | 'NAMES_MISMATCH' | 'EXPIRED';

/** A bundle that passed the check: everything `StoredCert` needs, so nothing is parsed twice. */
export interface CheckedBundle {
  readonly keyPem: string;
  readonly keyType: KeyType | 'unknown';
  readonly leafPem: string;
  readonly chainPems: readonly string[];
  readonly leaf: LeafInfo;
}

/**
 * The bundle text for `cert`: key, leaf, chain, each PEM block re-serialised (64-column base64, one
 * trailing newline) so no stray text or blank line reaches HAProxy (the runtime API's `<<` payload
 * ends at the first blank line). Throws `BUNDLE_INVALID` (PEM_INVALID) if a part does not split.
 */
export function buildBundle(cert: IssuedCertificate): string {
  try {
    const parts = [cert.keyPem, cert.certPem, cert.chainPem].map((p) =>
      splitPemBlocks(p)
        .map((b) => b.pem)
        .join(''),
    );
    return parts.join('');
  } catch (err) {
    throw invalid('PEM_INVALID', 'a PEM part of the certificate does not parse', err);
  }
}

/**
 * Check a bundle before it may enter `certs/`: it parses (one key, ≥1 certificate), the key matches
 * the leaf, every chain certificate parses and signs the one before it, the leaf's SAN names equal
 * `expectedNames` as a set (case-insensitive), and the leaf is not expired at `now`.
 * Throws `BUNDLE_INVALID` with `details.reason` (a `BundleProblem`); pure otherwise.
 */
export function checkBundle(text: string, expectedNames: readonly string[], now: Date): CheckedBundle {
  const bundle = parseOrThrow(text);
  const [leafPem, ...chainPems] = bundle.certPems as [string, ...string[]];
  if (!keyMatchesCert(bundle.keyPem, leafPem))
    throw invalid('KEY_MISMATCH', 'the private key does not match the leaf certificate');
  checkChain(leafPem, chainPems);
  const leaf = readLeaf(leafPem);
  if (!sameNames(leaf.names, expectedNames)) {
    throw invalid('NAMES_MISMATCH', 'the leaf certificate names differ from the requested names', undefined, {
      want: [...expectedNames],
      got: [...leaf.names],
    });
  }
  if (leaf.notAfter.getTime() <= now.getTime())
    throw invalid('EXPIRED', 'the leaf certificate has expired', undefined, { not_after: leaf.notAfter.toISOString() });
  return { keyPem: bundle.keyPem, keyType: keyTypeOf(bundle.keyPem), leafPem, chainPems, leaf };
}

/**
 * The `StoredCert` of `certs/<name>.pem` holding this bundle (its leaf PEM is not kept: see
 * `StoredCert.certId`). `memo` (one listing's) gives equal issuer names one shared string.
 */
export function storedCertOf(name: string, b: Pick<CheckedBundle, 'keyType' | 'leaf'>, memo?: ListingMemo): StoredCert {
  const { leaf } = b;
  return {
    name,
    names: leaf.names,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    serial: leaf.serial,
    issuer: memo ? memo.issuer(leaf.issuer) : leaf.issuer,
    keyType: b.keyType,
    selfSigned: leaf.selfSigned,
    certId: leaf.certId,
  };
}

function parseOrThrow(text: string): ReturnType<typeof parseBundle> {
  try {
    return parseBundle(text);
  } catch (err) {
    throw invalid('PEM_INVALID', 'the bundle does not parse', err);
  }
}

/** Each certificate must be issued by the next one (leaf ← chain[0] ← chain[1] ...). */
function checkChain(leafPem: string, chainPems: readonly string[]): void {
  const path = [leafPem, ...chainPems];
  for (let i = 0; i + 1 < path.length; i += 1) {
    if (!isIssuedBy(path[i]!, path[i + 1]!)) {
      throw invalid('CHAIN_INVALID', 'a chain certificate does not sign the certificate before it', undefined, {
        position: i + 1,
      });
    }
  }
}

function invalid(
  reason: BundleProblem,
  message: string,
  cause?: unknown,
  extra: Record<string, unknown> = {},
): AppError {
  return new AppError('BUNDLE_INVALID', message, { cause, details: { reason, ...extra } });
}

/** Private key PEM labels a bundle may hold (PKCS#8, PKCS#1, SEC1). */
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
/** Blocks that may accompany a key in files written by openssl (`openssl ecparam -genkey`); ignored. */
const IGNORED_LABELS = new Set(['EC PARAMETERS']);

/**
 * What one listing of `certs/` remembers across its files. Chain certificates (PEM, normalised) already
 * seen to parse: thousands of bundles carry the same one or two intermediates, and parsing each copy
 * again was a sixth of the adoption time (exact text, so a cached entry is exactly what would parse
 * again). And issuer names: the listed certificates share one string per issuer instead of a copy each
 * (the listing is kept in memory for the daemon's life).
 */
export class ListingMemo {
  readonly #seen = new Set<string>();
  readonly #issuers = new Map<string, string>();
  /** At most this many distinct chain certificates, and issuer names, are remembered (a CA has a handful). */
  static readonly LIMIT = 64;
  has(pem: string): boolean {
    return this.#seen.has(pem);
  }
  add(pem: string): void {
    if (this.#seen.size < ListingMemo.LIMIT) this.#seen.add(pem);
  }
  /** `name`, or the equal string this memo returned before. */
  issuer(name: string): string {
    const seen = this.#issuers.get(name);
    if (seen !== undefined) return seen;
    if (this.#issuers.size < ListingMemo.LIMIT) this.#issuers.set(name, name);
    return name;
  }
}

/**
 * Read a file from `certs/` as one of ours: it parses as a bundle (one private key, at least one
 * certificate, every certificate X.509, nothing else) and its key matches its leaf. Expiry is the
 * LEAF's (0.6.1 also looked at chain certificates and could reissue everything daily, behaviour spec
 * §5.6). Returns null for anything else (the caller reports it as unmanaged). Each block is parsed
 * exactly once (adopting thousands of bundles at start-up is dominated by these parses); a chain
 * certificate found in `memo` is not parsed again, and the issuer name is shared through it.
 */
export function readStoredCert(name: string, text: string, memo?: ListingMemo): StoredCert | null {
  try {
    let keyPem: string | undefined;
    const certPems: string[] = [];
    for (const b of splitPemBlocks(text)) {
      if (KEY_LABELS.has(b.label)) {
        if (keyPem !== undefined) return null;
        keyPem = b.pem;
      } else if (b.label === 'CERTIFICATE') certPems.push(b.pem);
      else if (!IGNORED_LABELS.has(b.label)) return null;
    }
    const leafPem = certPems[0];
    if (keyPem === undefined || leafPem === undefined) return null;
    const key = importPrivateKey(keyPem);
    const leafCert = new X509Certificate(leafPem);
    for (const c of certPems.slice(1)) {
      if (memo?.has(c)) continue;
      new X509Certificate(c);
      memo?.add(c);
    }
    if (!leafCert.checkPrivateKey(key)) return null;
    return storedCertOf(name, { keyType: keyTypeOf(key), leaf: leafInfoOf(leafCert) }, memo);
  } catch {
    return null;
  }
}

/**
 * The leaf (the first certificate) of a bundle text, as PEM, when its serial is `serial` (hex, lower
 * case, as `StoredCert.serial`); undefined when the text holds no certificate, does not parse, or its
 * leaf is another certificate. Never throws.
 */
export function leafPemOf(text: string, serial: string): string | undefined {
  try {
    const leafPem = splitPemBlocks(text).find((b) => b.label === 'CERTIFICATE')?.pem;
    if (leafPem === undefined) return undefined;
    return new X509Certificate(leafPem).serialNumber.toLowerCase() === serial ? leafPem : undefined;
  } catch {
    return undefined;
  }
}
