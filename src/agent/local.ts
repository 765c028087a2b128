/**
 * The agent's directory, in the layout marathon-lb loads: `DIR/default.pem`, `DIR/certs/<name>.pem`,
 * and `DIR/.staging/` for temp files (same file system, never loaded by HAProxy). Writes reuse the
 * store's durable write (temp + fsync + read-back check + rename + directory fsync), so a SIGKILL at any
 * moment leaves only complete bundles in `certs/`. Nothing but `<name>.pem` bundles is ever written
 * into `certs/`. Files: 0600; directories created: 0755.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../lib/errors.js';
import { fileStem } from '../lib/file-names.js';
import { selfSignedCert } from '../pki/create-cert.js';
import { readStoredCert } from '../store/bundle.js';
import { cleanStaging, fsyncDir, writeDurable } from '../store/durable.js';
import {
  fingerprintOf,
  fingerprintsOf,
  type KnownBundle,
  readTextOrNull,
  scanKnownBundles,
} from '../store/fingerprints.js';
import type { LocalState } from './plan.js';

const FILE_MODE = 0o600;

export class AgentDir {
  readonly certsDir: string;
  readonly stagingDir: string;
  readonly defaultPemPath: string;
  /** Bundles already checked, with their stat (unchanged files are not read again every round). */
  private known = new Map<string, KnownBundle>();

  constructor(readonly dir: string) {
    this.certsDir = join(dir, 'certs');
    this.stagingDir = join(dir, '.staging');
    this.defaultPemPath = join(dir, 'default.pem');
  }

  /** Create the layout when missing, remove dead temp files, create a self-signed default.pem if absent. */
  async init(): Promise<{ defaultCreated: boolean }> {
    await mkdir(this.dir, { recursive: true });
    for (const d of [this.certsDir, this.stagingDir]) await mkdir(d, { recursive: true, mode: 0o755 });
    await cleanStaging(this.stagingDir, 3_600_000);
    if ((await readTextOrNull(this.defaultPemPath)) !== null) return { defaultCreated: false };
    const { keyPem, certPem } = await selfSignedCert({ cn: '*', days: 3650, backdateDays: 1 });
    const created = await writeDurable(this.stagingDir, this.defaultPemPath, keyPem + certPem, {
      mode: FILE_MODE,
      exclusive: true,
    });
    return { defaultCreated: created };
  }

  /** What is on disk now: our bundles (foreign or broken files left out) and default.pem, by fingerprint. */
  async state(): Promise<LocalState> {
    this.known = await scanKnownBundles(this.certsDir, this.known);
    const def = await readTextOrNull(this.defaultPemPath);
    return { bundles: fingerprintsOf(this.known), defaultSha: def === null ? null : fingerprintOf(def) };
  }

  /**
   * Write `certs/<name>.pem` when `text` has the fingerprint `sha` and is a bundle (one key matching its
   * leaf, certificates that parse). Throws SYNC_BAD_ANSWER otherwise; the previous file then stays.
   */
  async writeBundle(name: string, text: string, sha: string): Promise<void> {
    if (fingerprintOf(text) !== sha || readStoredCert(name, text) === null)
      throw new AppError('SYNC_BAD_ANSWER', 'a bundle from the sync feed failed its check; not written', {
        details: { name },
      });
    await writeDurable(this.stagingDir, join(this.certsDir, `${fileStem(name)}.pem`), text, {
      mode: FILE_MODE,
      check: (onDisk) => sameBytes(onDisk, text),
    });
    // Checked above; no stat yet, so the next scan reads it again (and does not parse it again).
    this.known.set(name, { sha256: sha, stamp: '' });
  }

  /** Replace default.pem with the server's (checked like a bundle: a key matching its certificate). */
  async writeDefault(text: string, sha: string): Promise<void> {
    if (fingerprintOf(text) !== sha || readStoredCert('default', text) === null)
      throw new AppError('SYNC_BAD_ANSWER', "the server's default.pem failed its check; not written");
    await writeDurable(this.stagingDir, this.defaultPemPath, text, {
      mode: FILE_MODE,
      check: (onDisk) => sameBytes(onDisk, text),
    });
  }

  /** Remove `certs/<name>.pem` (idempotent) and make the removal durable. */
  async removeBundle(name: string): Promise<void> {
    await unlink(join(this.certsDir, `${fileStem(name)}.pem`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.known.delete(name);
    await fsyncDir(this.certsDir);
  }
}

function sameBytes(onDisk: string, expected: string): void {
  if (onDisk !== expected) throw new AppError('SYNC_BAD_ANSWER', 'the bundle read back differs from the one written');
}
