/**
 * Parsing a key+certificates bundle as HAProxy reads it from a `crt` directory: one private key, the
 * leaf, then the chain. Checking a bundle against what was ordered is the store's business.
 */
import { createPrivateKey } from 'node:crypto';
import { pemError, splitPemBlocks } from './pem.js';
import { parseX509 } from './x509.js';

/** A parsed bundle: one private key, then the leaf, then the chain. */
export interface ParsedBundle {
  readonly keyPem: string;
  /** Leaf first, then the chain in file order; at least one. */
  readonly certPems: readonly string[];
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
/** Blocks that may accompany a key in files written by openssl (`openssl ecparam -genkey`); ignored. */
const IGNORED_LABELS = new Set(['EC PARAMETERS']);

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
  for (const c of certs) parseX509(c.pem);
  return { keyPem: keys[0]!.pem, certPems: certs.map((c) => c.pem) };
}
