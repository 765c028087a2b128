/**
 * Fingerprints of the bundles in a `certs/` directory, for the agents' feed (daemon side) and for the
 * agent's "is what I hold what the server serves?" (agent side). A fingerprint is the SHA-256, lower-case
 * hex, of the file's exact bytes. Read-only: nothing here writes.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileStem, isSafeName } from '../lib/file-names.js';
import { readStoredCert } from './bundle.js';
import { listPemNames } from './listing.js';

/** SHA-256 (lower-case hex) of a bundle's bytes. */
export function fingerprintOf(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The text of `certsDir/<name>.pem` when it is a bundle we could have written, else null (never throws). */
export async function readOwnBundle(certsDir: string, name: string): Promise<string | null> {
  if (!isSafeName(name)) return null;
  let text: string;
  try {
    text = await readFile(join(certsDir, `${fileStem(name)}.pem`), 'utf8');
  } catch {
    return null;
  }
  return readStoredCert(name, text) !== null ? text : null;
}

/** The text of a file, or null when it cannot be read (absent, unreadable). */
export async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** What a scan knows of one bundle: its fingerprint, and the file's stat when that was taken. */
export interface KnownBundle {
  readonly sha256: string;
  readonly stamp: string;
}

/**
 * What a change of `path` alters: device, inode, size, link count, mtime and ctime (ns); `absent` when
 * it is missing. A rename into place gives a new inode; a write in place a new size or times.
 */
export async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.nlink}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

/**
 * Every bundle of ours in `certsDir` (foreign and broken files left out), with its fingerprint and the
 * stat it had when read. A file whose stat equals the one `known` holds is neither read nor hashed
 * again (`reread` reads every file anyway); one whose fingerprint `known` holds is not parsed again. At 5,000 bundles a rescan of an
 * unchanged directory is then 5,000 stats instead of 5,000 reads and hashes. The stat is taken before
 * the read, so a file replaced in between is paired with its older stat and read again next time.
 * Rejects only when the directory cannot be read.
 */
export async function scanKnownBundles(
  certsDir: string,
  known: ReadonlyMap<string, KnownBundle>,
  opts: { readonly reread?: boolean } = {},
): Promise<Map<string, KnownBundle>> {
  const out = new Map<string, KnownBundle>();
  const names = (await listPemNames(certsDir)).filter(isSafeName);
  for (let i = 0; i < names.length; i += 32) {
    const chunk = names.slice(i, i + 32);
    const found = await Promise.all(chunk.map((n) => scanOne(certsDir, n, known.get(n), opts.reread === true)));
    for (const [j, k] of found.entries()) if (k) out.set(chunk[j]!, k);
  }
  return out;
}

async function scanOne(
  certsDir: string,
  name: string,
  before: KnownBundle | undefined,
  reread: boolean,
): Promise<KnownBundle | undefined> {
  const path = join(certsDir, `${fileStem(name)}.pem`);
  let stamp: string;
  try {
    stamp = await fileStamp(path);
  } catch {
    return undefined;
  }
  if (stamp === 'absent') return undefined;
  if (!reread && before?.stamp === stamp) return before;
  const text = await readTextOrNull(path);
  if (text === null) return undefined;
  const sha256 = fingerprintOf(text);
  if (before?.sha256 === sha256 || readStoredCert(name, text) !== null) return { sha256, stamp };
  return undefined;
}

/** Name → fingerprint of what a scan knows (what the feed and the agent compare). */
export function fingerprintsOf(known: ReadonlyMap<string, KnownBundle>): Map<string, string> {
  return new Map([...known].map(([name, k]) => [name, k.sha256]));
}
