/**
 * Certificates the CA issued whose installation failed (full or read-only storage), kept outside
 * `certs/` so that a restart installs them instead of ordering them again: `<dir>/state/kept/<file>.json`
 * (mode 0600: the private key is inside), one per certificate, written atomically. HAProxy never
 * reads this directory.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertSpec, IssuedCertificate, Requester } from '../domain/types.js';
import { assertSafeName, fileStem, fitFileName } from '../lib/file-names.js';
import type { Logger } from '../lib/logger.js';
import { writeDurable } from './durable.js';

/** What a kept file holds. */
interface KeptRecord {
  readonly name: string;
  readonly names: readonly string[];
  readonly requestedBy: readonly Requester[];
  readonly keyPem: string;
  readonly certPem: string;
  readonly chainPem: string;
  /** The issuing CA's directory URL (absent in records of 1.0). */
  readonly issuer?: string;
  readonly keptAt: string;
}

const fileOf = (name: string): string => fitFileName(fileStem(name), '.json');

/** Write the kept certificate of `spec` (replacing an older one of the same name). */
export async function writeKept(
  stagingDir: string,
  keptDir: string,
  spec: CertSpec,
  cert: IssuedCertificate,
  now: Date,
): Promise<void> {
  assertSafeName(spec.name);
  await mkdir(keptDir, { recursive: true, mode: 0o700 });
  const record: KeptRecord = {
    name: spec.name,
    names: spec.names,
    requestedBy: spec.requestedBy,
    keyPem: cert.keyPem,
    certPem: cert.certPem,
    chainPem: cert.chainPem,
    ...(cert.issuer ? { issuer: cert.issuer } : {}),
    keptAt: now.toISOString(),
  };
  await writeDurable(stagingDir, join(keptDir, fileOf(spec.name)), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** Every kept certificate; unreadable or malformed files are skipped (logged) and left in place. */
export async function readKept(
  keptDir: string,
  log: Logger,
): Promise<Array<{ spec: CertSpec; cert: IssuedCertificate }>> {
  let entries: string[];
  try {
    entries = await readdir(keptDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<{ spec: CertSpec; cert: IssuedCertificate }> = [];
  for (const entry of entries.filter((e) => e.endsWith('.json')).sort()) {
    const file = join(keptDir, entry);
    try {
      const r = parseKept(await readFile(file, 'utf8'));
      if (fileOf(r.name) !== entry) throw new Error('the name inside differs from the file name');
      const spec = { name: r.name, names: r.names, requestedBy: r.requestedBy };
      const issuer = typeof r.issuer === 'string' ? { issuer: r.issuer } : {};
      out.push({ spec, cert: { keyPem: r.keyPem, certPem: r.certPem, chainPem: r.chainPem, ...issuer } });
    } catch (err) {
      log.warn({ file, err }, 'kept certificate skipped');
    }
  }
  return out;
}

/** Forget the kept certificate of `name` (idempotent). */
export async function dropKept(keptDir: string, name: string): Promise<void> {
  assertSafeName(name);
  await rm(join(keptDir, fileOf(name)), { force: true });
}

function parseKept(text: string): KeptRecord {
  const v = JSON.parse(text) as Partial<Record<keyof KeptRecord, unknown>>;
  const str = (x: unknown): x is string => typeof x === 'string';
  if (
    !str(v.name) ||
    !Array.isArray(v.names) ||
    !v.names.every(str) ||
    v.names[0] !== v.name ||
    !Array.isArray(v.requestedBy) ||
    !str(v.keyPem) ||
    !str(v.certPem) ||
    !str(v.chainPem)
  )
    throw new Error('not a kept certificate record');
  assertSafeName(v.name);
  return v as KeptRecord;
}
