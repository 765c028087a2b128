/**
 * The storage directory shared with marathon-lb, in 0.6.1's layout (behaviour spec §2.6, §5.4):
 *
 * ```
 * <dir>/client.key        ACME account key (0600)
 * <dir>/default.pem       self-signed fallback, created once, never touched again
 * <dir>/certs/<name>.pem  key + leaf + chain; ONLY complete, checked bundles ever appear here
 * <dir>/unmanaged-certs/  created empty, never touched
 * <dir>/state/<name>.json the daemon's record of each certificate (outside certs/)
 *                         (a name too long for `.json`: `<prefix>.<hash>.json`, the record names it)
 * <dir>/state/kept/       certificates issued but not written yet (storage full/read-only), 0600
 * <dir>/.staging/         temp files (same file system, outside certs/)
 * <dir>/archive/          removed bundles, `<name>.<timestamp>.pem` (outside certs/; a name too
 *                         long for that: `<prefix>.<hash>.<timestamp>.pem`), and files of certs/ the
 *                         daemon did not write, kept there before a certificate replaces them
 * ```
 *
 * Why so careful: HAProxy loads EVERY file in a `crt` directory and refuses to (re)start on one it
 * cannot parse (test-environment.md), so a half-written or foreign temp file in `certs/` takes the
 * load balancer down at its next reload. 0.6.1 wrote `.new` temp files inside `certs/`.
 *
 * Permissions: bundles and default.pem get `fileMode` (0600, or 0640 when `group` is set),
 * client.key and state records always 0600; directories we create get `dirMode` (0755, or 0750 with
 * `group`). With `group`, files and directories are chowned to it so an HAProxy running as another
 * user in that group can read them. An explicit `dirMode`/`group` is also applied to existing
 * directories at init; the defaults never change an existing deployment's directories.
 */
import {
  access,
  chmod,
  chown,
  constants,
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { PendingOrder, Store } from '../domain/contracts.js';
import type { AccountState, CertSpec, CertState, IssuedCertificate, StoredCert } from '../domain/types.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { selfSignedCert } from '../pki/create-cert.js';
import {
  caAccountKeyFiles,
  readAccountState,
  readIfExists,
  writeAccountKey,
  writeAccountState,
} from './account-files.js';
import { buildBundle, checkBundle, leafPemOf, readStoredCert, storedCertOf } from './bundle.js';
import { initFailure, notWritable } from './errors.js';
import { dropKept, readKept, writeKept } from './kept.js';
import { cleanStaging, fsyncDir, fsyncFile, writeDurable } from './durable.js';
import { listCerts, listPemNames } from './listing.js';
import { assertSafeName, fileStem, fitFileName } from '../lib/file-names.js';
import { readPendingOrder, writePendingOrder } from './pending-orders.js';
import { exists, sameBytes } from './read-back.js';
import { loadStateFiles, saveStateFile } from './state-files.js';

export interface FileStoreOptions {
  /** The storage directory (`--storage-dir`); must exist. */
  readonly dir: string;
  readonly logger: Logger;
  /** Mode of bundles and default.pem. Default 0600 (0640 when `group` is set). */
  readonly fileMode?: number;
  /** Mode of directories the store creates. Default 0755 (0750 when `group` is set). */
  readonly dirMode?: number;
  /** Group id given to bundles, default.pem and directories, so HAProxy in that group can read them. */
  readonly group?: number;
  /** Where removed bundles go. Default `<dir>/archive`. Must be outside `certs/`. */
  readonly archiveDir?: string;
  /** Temp files older than this are removed at init even if their writer may live elsewhere. Default 1 h. */
  readonly staleTempMs?: number;
  /** The clock for the expiry check. */
  readonly now?: () => Date;
}

export class FileStore implements Store {
  readonly dir: string;
  readonly certsDir: string;
  readonly defaultPemPath: string;
  readonly accountKeyPath: string;
  readonly unmanagedDir: string;
  readonly stateDir: string;
  readonly stagingDir: string;
  readonly archiveDir: string;
  readonly keptDir: string;
  private readonly log: Logger;
  private readonly fileMode: number;
  private readonly dirMode: number;
  private readonly enforceDirs: boolean;
  private readonly group: number | undefined;
  private readonly staleTempMs: number;
  private readonly now: () => Date;

  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.certsDir = join(options.dir, 'certs');
    this.defaultPemPath = join(options.dir, 'default.pem');
    this.accountKeyPath = join(options.dir, 'client.key');
    this.unmanagedDir = join(options.dir, 'unmanaged-certs');
    this.stateDir = join(options.dir, 'state');
    this.stagingDir = join(options.dir, '.staging');
    this.archiveDir = options.archiveDir ?? join(options.dir, 'archive');
    this.keptDir = join(this.stateDir, 'kept');
    this.log = options.logger.child({ component: 'store' });
    this.group = options.group;
    this.fileMode = options.fileMode ?? (options.group !== undefined ? 0o640 : 0o600);
    this.dirMode = options.dirMode ?? (options.group !== undefined ? 0o750 : 0o755);
    this.enforceDirs = options.dirMode !== undefined || options.group !== undefined;
    this.staleTempMs = options.staleTempMs ?? 3_600_000;
    this.now = options.now ?? (() => new Date());
  }

  /** `certs/<name>.pem`, `certs/_.<base>.pem` for `*.<base>` (throws INVALID_NAME for an unsafe name). */
  bundlePath(name: string): string {
    assertSafeName(name);
    return join(this.certsDir, `${fileStem(name)}.pem`);
  }

  /**
   * Idempotent: creates `certs/`, `unmanaged-certs/`, `state/`, `.staging/` and `default.pem` when
   * missing, removes stale temp files. Never reads, replaces or renews an existing default.pem.
   * Rejects with `STORAGE_DIR_MISSING` when the storage directory does not exist, and with
   * `STORAGE_NOT_WRITABLE` (errno named, with what to do about ownership) when it cannot be prepared.
   */
  async init(): Promise<void> {
    await this.assertStorageDir();
    let at = this.dir;
    try {
      for (const d of [this.certsDir, this.unmanagedDir, this.stateDir, this.stagingDir]) {
        at = d;
        await this.ensureDir(d);
      }
      at = this.stagingDir;
      const removed = await cleanStaging(this.stagingDir, this.staleTempMs);
      if (removed.length > 0) this.log.info({ count: removed.length }, 'stale temp files removed');
      at = this.defaultPemPath;
      if (await this.createDefaultPem()) this.log.info({ file: this.defaultPemPath }, 'default certificate created');
    } catch (err) {
      throw initFailure(err, this.dir, at);
    }
    this.log.debug({ dir: this.dir }, 'storage initialised');
  }

  private async assertStorageDir(): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw initFailure(err, this.dir, this.dir);
      throw new AppError('STORAGE_DIR_MISSING', 'the storage directory does not exist', {
        cause: err,
        details: { dir: this.dir },
      });
    }
    if (!st.isDirectory())
      throw new AppError('STORAGE_DIR_MISSING', 'the storage path is not a directory', { details: { dir: this.dir } });
  }

  private async ensureDir(dir: string): Promise<void> {
    let created = false;
    try {
      await mkdir(dir);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (created || this.enforceDirs) {
      await chmod(dir, this.dirMode); // mkdir's mode is masked by the umask
      if (this.group !== undefined) await chown(dir, -1, this.group);
    }
  }

  /** Create default.pem only if absent: link(2) from the temp file fails on an existing file. */
  private async createDefaultPem(): Promise<boolean> {
    if (await exists(this.defaultPemPath)) return false;
    const { keyPem, certPem } = await selfSignedCert({ cn: '*', days: 3650, backdateDays: 1 });
    return writeDurable(this.stagingDir, this.defaultPemPath, keyPem + certPem, this.bundleWrite({ exclusive: true }));
  }

  private bundleWrite(extra: { exclusive?: boolean; check?: (t: string) => void } = {}) {
    return { mode: this.fileMode, ...(this.group !== undefined ? { gid: this.group } : {}), ...extra };
  }

  /** `client.key` PEM, or null if absent. */
  readAccountKey(): Promise<string | null> {
    return readIfExists(this.accountKeyPath);
  }

  /** Atomic replace of `client.key`, always mode 0600 and never group-readable (HAProxy never needs it). */
  async writeAccountKey(pem: string): Promise<void> {
    await writeAccountKey(this.stagingDir, this.accountKeyPath, pem);
    this.log.info({ file: this.accountKeyPath }, 'account key written');
  }

  /** The account key files of a further CA of `--acme` (`accounts/<host>-<hash>/client.key`, 0600). */
  caAccountKey(directoryUrl: string): ReturnType<typeof caAccountKeyFiles> {
    return caAccountKeyFiles(this.dir, this.stagingDir, directoryUrl);
  }

  /** Every entry of `certs/` (`listCerts`): our bundles, 0.6.1's adopted, the rest `unmanaged`, untouched. Read-only. */
  async list(): Promise<{ readonly certs: readonly StoredCert[]; readonly unmanaged: readonly string[] }> {
    const listing = await listCerts(this.certsDir, this.log);
    this.markListed();
    return listing;
  }

  private markListed = (): void => undefined;
  /** Resolves once a `list()` completed (start-up's adoption): the feed's first scan waits for it. Never rejects. */
  readonly listed: Promise<void> = new Promise((resolve) => (this.markListed = resolve));
  /** The stems of the `*.pem` entries of `certs/`, unread (see `Store.listNames`). */
  listNames(): Promise<readonly string[]> {
    return listPemNames(this.certsDir);
  }

  /**
   * Check and atomically install `certs/<spec.name>.pem`. The bundle is checked once, before any I/O
   * (key matches leaf, chain parses and links, names equal `spec.names` as a set, leaf not expired),
   * written to `.staging/`, fsynced, read back and compared byte for byte with what was built, then
   * renamed into `certs/` and the directory fsynced. A file already there that is not a bundle the
   * daemon could have written (unparsable, foreign, its key not matching) is first copied to the
   * archive, so replacing it never loses its content.
   * Rejects with `INVALID_NAME` or `BUNDLE_INVALID` (`details.reason`); the previous file then stays.
   * A file-system failure rejects with the raw error (its errno: ENOSPC, EROFS, ...). Safe to repeat;
   * concurrent installs of one name leave one of them, complete.
   */
  async install(spec: CertSpec, cert: IssuedCertificate): Promise<StoredCert> {
    const target = this.bundlePath(spec.name);
    const text = buildBundle(cert);
    const checked = checkBundle(text, spec.names, this.now());
    try {
      await this.archiveForeign(spec.name, target);
      await writeDurable(
        this.stagingDir,
        target,
        text,
        this.bundleWrite({ check: (onDisk) => sameBytes(onDisk, text) }),
      );
    } catch (err) {
      this.log.warn({ domain: spec.name, file: target, err }, 'certificate not installed');
      throw err;
    }
    const stored = storedCertOf(spec.name, checked);
    this.log.debug({ domain: spec.name, file: target, serial: stored.serial }, 'bundle written');
    return stored;
  }

  /**
   * The leaf PEM of `certs/<name>.pem` while it holds the certificate with `serial` (see
   * `Store.readLeafPem`): read on demand, so the listing need not keep thousands of PEMs in memory.
   */
  async readLeafPem(name: string, serial: string): Promise<string | undefined> {
    const text = await readIfExists(this.bundlePath(name));
    return text === null ? undefined : leafPemOf(text, serial);
  }

  /**
   * Move `certs/<name>.pem` to `<archiveDir>/<name>.<timestamp>.pem` (link + unlink, or copy + unlink
   * across file systems); never deletes the bundle. Idempotent: a missing bundle is a no-op.
   */
  async archive(name: string): Promise<void> {
    const source = this.bundlePath(name);
    if (!(await exists(source))) return;
    await this.ensureDir(this.archiveDir);
    const dest = await this.moveToArchive(source, name);
    await unlink(source);
    await fsyncDir(this.certsDir);
    this.log.info({ domain: name, file: dest }, 'certificate archived');
  }

  /** A file at `target` the daemon did not write goes to the archive (a link: its content kept) first. */
  private async archiveForeign(name: string, target: string): Promise<void> {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // A regular file that is one of our bundles is simply replaced (renewal).
    if (st.isFile() && readStoredCert(name, await readFile(target, 'utf8')) !== null) return;
    await this.ensureDir(this.archiveDir);
    // A regular file is linked (the rename of the new bundle then replaces only the name in certs/);
    // anything else (a directory, a symlink) is moved there whole.
    const dest = await this.moveToArchive(target, name, '.replaced', !st.isFile());
    this.log.warn(
      { domain: name, file: target, archived_as: dest },
      'file the daemon did not write archived before replacing it',
    );
  }

  private async moveToArchive(source: string, name: string, tag = '', move = false): Promise<string> {
    const stamp = `${this.now().toISOString().replace(/:/g, '-')}${tag}`;
    for (let n = 0; ; n += 1) {
      const dest = join(this.archiveDir, fitFileName(fileStem(name), `.${stamp}${n === 0 ? '' : `-${n}`}.pem`));
      if (move) {
        if (await exists(dest)) continue;
        await rename(source, dest);
        await fsyncDir(this.certsDir);
        await fsyncDir(this.archiveDir);
        return dest;
      }
      try {
        await link(source, dest);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'EXDEV') throw err;
        await copyFile(source, dest, constants.COPYFILE_EXCL);
        await fsyncFile(dest); // the copy's data must be on disk before the caller unlinks the source
      }
      await fsyncDir(this.archiveDir);
      return dest;
    }
  }

  /** All state records by name. Unreadable, corrupt or misnamed records are skipped with a warning. */
  loadStates(): Promise<Map<string, CertState>> {
    return loadStateFiles(this.stateDir, this.log);
  }

  /** `<dir>/account-state.json`: outside `state/`, which holds one record per certificate. */
  get accountStatePath(): string {
    return join(this.dir, 'account-state.json');
  }

  /** The account-level record, or null if absent, unreadable or corrupt (logged; never fatal). */
  readAccountState(): Promise<AccountState | null> {
    return readAccountState(this.accountStatePath, this.log);
  }

  /** Atomic replace of `account-state.json`, mode 0600. */
  writeAccountState(state: AccountState): Promise<void> {
    return writeAccountState(this.stagingDir, this.accountStatePath, state);
  }

  /** Atomically write (or with null, delete) `state/<name>.json`. Idempotent. */
  saveState(name: string, state: CertState | null): Promise<void> {
    return saveStateFile(this.stagingDir, this.stateDir, name, state);
  }

  /**
   * Throws `STORAGE_NOT_WRITABLE` (naming the errno: ENOSPC, EROFS, EACCES, ...) unless `certs/` is
   * writable and a file the size of a large bundle can be written in `.staging/` (same file system).
   * Cheap enough for every `/health` request and before every order: create and remove one file, no fsync.
   */
  async checkWritable(): Promise<void> {
    try {
      await access(this.certsDir, constants.W_OK);
      const probe = join(this.stagingDir, `.probe.${process.pid}.${randomBytes(4).toString('hex')}`);
      const fh = await open(probe, 'wx', 0o600);
      try {
        await fh.writeFile(PROBE_BYTES);
      } finally {
        await fh.close();
        await rm(probe, { force: true });
      }
    } catch (err) {
      throw notWritable(err, this.dir);
    }
  }

  /** Keep an issued certificate whose install failed, under `state/kept/` (0600). */
  keepIssued(spec: CertSpec, cert: IssuedCertificate): Promise<void> {
    return writeKept(this.stagingDir, this.keptDir, spec, cert, this.now());
  }

  /** The kept certificates (malformed files skipped and left in place). */
  readKept(): Promise<Array<{ spec: CertSpec; cert: IssuedCertificate }>> {
    return readKept(this.keptDir, this.log);
  }

  /** Forget a kept certificate. */
  dropKept(name: string): Promise<void> {
    return dropKept(this.keptDir, name);
  }

  /** The unfinished order of `name` under `orders/`, or null. */
  readPendingOrder(name: string): Promise<PendingOrder | null> {
    return readPendingOrder(join(this.dir, 'orders'), name);
  }

  /** Persist or forget the unfinished order of `name` (`orders/<name>.json`, 0600). */
  writePendingOrder(name: string, order: PendingOrder | null): Promise<void> {
    return writePendingOrder(this.stagingDir, join(this.dir, 'orders'), name, order);
  }
}

/** The size of a large bundle (RSA 4096 key, leaf and two chain certificates): what the probe writes. */
const PROBE_BYTES = Buffer.alloc(16 * 1024, 0x0a);
