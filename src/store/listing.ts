/**
 * Reading `certs/`: which entries are bundles we could have written, and which are not ours. Read-only:
 * nothing here writes, renames or deletes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredCert } from '../domain/types.js';
import { assertSafeName, nameOfStem } from '../lib/file-names.js';
import type { Logger } from '../lib/logger.js';
import { ListingMemo, readStoredCert } from './bundle.js';

/** How many files of `certs/` are read at once. */
const LIST_CONCURRENCY = 32;

/**
 * Every entry of `certsDir`: bundles we could have written (one key matching the leaf; expiry is the
 * leaf's) are listed, which adopts valid bundles left by the Python marathon-acme; everything else
 * (other extensions, unsafe names, directories, symlinks, unparsable or mismatched files) is
 * reported by file name in `unmanaged`. Both sorted by name.
 */
export async function listCerts(
  certsDir: string,
  log: Logger,
): Promise<{ readonly certs: readonly StoredCert[]; readonly unmanaged: readonly string[] }> {
  const entries = await readdir(certsDir, { withFileTypes: true });
  const certs: StoredCert[] = [];
  const unmanaged: string[] = [];
  const memo = new ListingMemo();
  for (let i = 0; i < entries.length; i += LIST_CONCURRENCY) {
    const chunk = entries.slice(i, i + LIST_CONCURRENCY);
    const results = await Promise.all(chunk.map((e) => readEntry(certsDir, e.name, e.isFile(), memo)));
    for (const [j, r] of results.entries()) {
      if (r === null) unmanaged.push(chunk[j]!.name);
      else certs.push(r);
    }
  }
  certs.sort((a, b) => a.name.localeCompare(b.name));
  unmanaged.sort();
  if (unmanaged.length > 0)
    log.debug({ count: unmanaged.length, files: unmanaged.slice(0, 20) }, 'unmanaged files in certs directory');
  return { certs, unmanaged };
}

/** The certificate names of the `*.pem` entries of `certsDir` (anything that might be a bundle), unread; `_.x.pem` is `*.x`. */
export async function listPemNames(certsDir: string): Promise<string[]> {
  const entries = await readdir(certsDir);
  return entries.filter((e) => e.endsWith('.pem')).map((e) => nameOfStem(e.slice(0, -'.pem'.length)));
}

/** The bundle in `certsDir/fileName`, or null when it is not one of ours (never throws). */
async function readEntry(
  certsDir: string,
  fileName: string,
  isFile: boolean,
  memo: ListingMemo,
): Promise<StoredCert | null> {
  if (!isFile || !fileName.endsWith('.pem')) return null;
  const name = nameOfStem(fileName.slice(0, -'.pem'.length));
  try {
    assertSafeName(name);
    return readStoredCert(name, await readFile(join(certsDir, fileName), 'utf8'), memo);
  } catch {
    return null;
  }
}
