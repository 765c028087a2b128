/**
 * Crash-safe file replacement: temp file in a staging directory on the same file system, write,
 * fsync, optional check of what is actually on disk, rename (or link, for create-if-absent), fsync
 * of the target directory. A reader of the target directory sees either the old file or the new
 * complete one, never a partial file, whatever moment the process dies at (SIGKILL, power loss).
 */
import { randomBytes } from 'node:crypto';
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

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host';

/** `<stem>.<host>.<pid>.<random>.tmp`: the host and PID tell cleanup whether the writer may still live. */
function tempName(target: string): string {
  return `${basename(target)}.${HOST}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Atomically write `data` to `target` via `stagingDir` (which MUST be on the same file system and
 * MUST NOT be a directory HAProxy loads). Returns true when written, false when `exclusive` and the
 * target existed. On any failure the temp file is removed and the previous target is untouched.
 */
export async function writeDurable(stagingDir: string, target: string, data: string, options: DurableWriteOptions): Promise<boolean> {
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
  const m = /\.([A-Za-z0-9-]+)\.(\d+)\.[0-9a-f]+\.tmp$/.exec(entry);
  if (m && m[1] === HOST) {
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
