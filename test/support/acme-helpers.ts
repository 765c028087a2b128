/**
 * Small helpers for ACME tests: an in-memory account key store, unique names, chain verification.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

/** `AccountKeyStore` in memory; counts writes. */
export class MemoryKeyStore {
  writes = 0;
  constructor(public pem: string | null = null) {}
  async read(): Promise<string | null> {
    return this.pem;
  }
  async write(pem: string): Promise<void> {
    this.writes += 1;
    this.pem = pem;
  }
}

/** A name no earlier test used (Pebble reuses valid authorizations for 50% of repeated names). */
export function uniqueName(label = 'test'): string {
  return `${label}-${randomBytes(5).toString('hex')}.example.test`;
}

/** `openssl verify` of leaf against root with the given intermediates; returns openssl's output or throws. */
export function opensslVerify(rootPem: string, chainPem: string, leafPem: string): string {
  const dir = makeTempDir('verify-');
  try {
    writeFileSync(join(dir, 'root.pem'), rootPem);
    writeFileSync(join(dir, 'chain.pem'), chainPem);
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const args = [
      'verify',
      '-CAfile',
      join(dir, 'root.pem'),
      ...(chainPem.trim() ? ['-untrusted', join(dir, 'chain.pem')] : []),
      join(dir, 'leaf.pem'),
    ];
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    removeTempDir(dir);
  }
}

/** The subjectAltName DNS names of a certificate, via openssl. */
export function sanNames(certPem: string): string[] {
  const out = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], {
    input: certPem,
    encoding: 'utf8',
  });
  return [...out.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!).sort();
}
