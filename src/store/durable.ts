/**
 * Crash-safe file replacement: temp file in a staging directory on the same file system, write,
 * fsync, optional check of what is actually on disk, rename (or link, for create-if-absent), fsync
 * of the target directory. A reader of the target directory sees either the old file or the new
 * complete one, never a partial file, whatever moment the process dies at (SIGKILL, power loss).
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { link, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';

export interface DurableWriteOptions {
  /** File mode, applied with chmod (not masked by the umask). */
  readonly mode: number;
  /** Group to chown the file to before it becomes visible (split-user HAProxy setups). */
  readonly gid?: number;
  /** Validates the bytes read back from the temp file; throwing aborts the write (the temp file is removed). */
  readonly check?: (text: string) => void;
  /** Create only: never replace an existing target. Resolves false when the target already existed. */
  readonly exclusive?: boolean;
}

const hex = (s: string, n: number): string => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, n);

/** This host, as a fixed-length tag (a hostname may be long; a temp name must stay short). */
const HOST_TAG = hex(hostname(), 8);

/**
 * `.<sha256(basename), 16 hex>.<sha256(host), 8 hex>.<pid>.<random>.tmp`: at most ~60 bytes whatever
 * the target's name (a 251-byte certificate name cannot make it ENAMETOOLONG). The host tag and PID
 * tell cleanup whether the writer may still live.
 */
export function tempName(target: string, pid = process.pid): string {
  return `.${hex(basename(target), 16)}.${HOST_TAG}.${pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Atomically write `data` to `target` via `stagingDir` (which MUST be on the same file system and
 * MUST NOT be a directory HAProxy loads). Returns true when written, false when `exclusive` and the
 * target existed. On any failure the temp file is removed and the previous target is untouched.
 */
export async function writeDurable(
  stagingDir: string,
  target: string,
  data: string,
  options: DurableWriteOptions,
): Promise<boolean> {
  const tmp = join(stagingDir, tempName(target));
  await writeAndSync(tmp, data, options);
  try {
    if (options.check) options.check(await readFile(tmp, 'utf8'));
    if (options.exclusive) {
      if (!(await linkIfAbsent(tmp, target))) return false;
    } else {
      await rename(tmp, target);
    }
    await fsyncDir(dirname(target));
    return true;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function writeAndSync(path: string, data: string, options: DurableWriteOptions): Promise<void> {
  const fh = await open(path, 'wx', options.mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.chmod(options.mode);
    if (options.gid !== undefined) await fh.chown(-1, options.gid);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  await fh.close();
}

async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** fsync a directory so a rename/link/unlink in it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a file's data, e.g. a copy that must be on disk before its source is unlinked. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Remove temp files in `stagingDir` left by dead writers: those of this host whose PID is not alive
 * (or is ours: nothing is in flight before init completes), and any older than `maxAgeMs` (writers
 * on other hosts sharing the volume). Returns the names removed. Never throws for a single file.
 */
export async function cleanStaging(stagingDir: string, maxAgeMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(stagingDir)) {
    const path = join(stagingDir, entry);
    try {
      if (await isStale(entry, path, maxAgeMs, now)) {
        await rm(path, { force: true });
        removed.push(entry);
      }
    } catch {
      /* vanished meanwhile, or unreadable: leave it */
    }
  }
  return removed;
}

async function isStale(entry: string, path: string, maxAgeMs: number, now: number): Promise<boolean> {
  const m = /^\.[0-9a-f]{16}\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]+\.tmp$/.exec(entry);
  if (m && m[1] === HOST_TAG) {
    const pid = Number(m[2]);
    if (pid === process.pid || !pidAlive(pid)) return true;
  }
  const st = await stat(path);
  return now - st.mtimeMs > maxAgeMs;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
