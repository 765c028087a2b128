/** A FileStore in a fresh temporary directory, removed after the test (unit tests of src/store/). */
import { stat } from 'node:fs/promises';
import type { CertSpec } from '../../src/domain/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FileStore, type FileStoreOptions } from '../../src/store/file-store.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export async function tempStore(
  t: { after: (fn: () => Promise<void>) => void },
  opts: Partial<FileStoreOptions> = {},
): Promise<{ dir: string; store: FileStore }> {
  const dir = makeTempDir('store-test-');
  t.after(async () => removeTempDir(dir));
  const store = new FileStore({ dir, logger: silentLogger(), ...opts });
  return { dir, store };
}

/** The permission bits of a file. */
export const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

/** A static spec for `name` (and `names`, default just `name`). */
export const spec = (name: string, names: string[] = [name]): CertSpec => ({
  name,
  names,
  requestedBy: [{ source: 'static' }],
});
