/**
 * The certificates' records on disk: `state/<name>.json` (a name too long for that: a shortened unique
 * file name, the record names its certificate), written atomically with mode 0600.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertState } from '../domain/types.js';
import { assertSafeName, fileStem, fitFileName, nameOfStem } from '../lib/file-names.js';
import type { Logger } from '../lib/logger.js';
import { writeDurable } from './durable.js';
import { parseStateRecord } from './state.js';

/** All records of `stateDir` by name. Unreadable, corrupt or misnamed records are skipped with a warning. */
export async function loadStateFiles(stateDir: string, log: Logger): Promise<Map<string, CertState>> {
  const out = new Map<string, CertState>();
  let entries: string[];
  try {
    entries = await readdir(stateDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of entries.filter((e) => e.endsWith('.json')).sort()) {
    const file = join(stateDir, entry);
    try {
      const text = await readFile(file, 'utf8');
      const name = recordName(text, entry);
      out.set(name, parseStateRecord(name, text));
    } catch (err) {
      log.warn({ file, err }, 'state record skipped');
    }
  }
  return out;
}

/** Atomically write (or with null, delete) the record of `name`. Idempotent. */
export async function saveStateFile(
  stagingDir: string,
  stateDir: string,
  name: string,
  state: CertState | null,
): Promise<void> {
  assertSafeName(name);
  const file = join(stateDir, stateFileName(name));
  if (state === null) {
    await rm(file, { force: true });
    return;
  }
  await writeDurable(stagingDir, file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** `<name>.json`, or for a name too long for that, a shortened unique name (the record holds the name). */
function stateFileName(name: string): string {
  return fitFileName(fileStem(name), '.json');
}

/**
 * The certificate name a state file belongs to: the name recorded inside when the file is that
 * name's (a shortened file name), else the file stem (parseStateRecord then checks they agree).
 */
function recordName(text: string, entry: string): string {
  try {
    const claimed = (JSON.parse(text) as { name?: unknown }).name;
    if (typeof claimed === 'string' && claimed.length > 0 && stateFileName(claimed) === entry) return claimed;
  } catch {
    /* parseStateRecord reports it */
  }
  return nameOfStem(entry.slice(0, -'.json'.length));
}
