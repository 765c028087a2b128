/**
 * The account's files in the storage directory: `client.key` (the ACME account key; further CAs'
 * keys under `accounts/`) and
 * `account-state.json` (the account-level record). Both are written atomically with mode 0600 and never
 * chowned to the HAProxy group (HAProxy never needs them).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccountState } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';
import { writeDurable } from './durable.js';
import { parseAccountState } from './state.js';

/** The file's text, or null if it does not exist; other errors are thrown. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Atomic replace of the account key at `path` (a final newline is added if missing), mode 0600. */
export async function writeAccountKey(stagingDir: string, path: string, pem: string): Promise<void> {
  await writeDurable(stagingDir, path, pem.endsWith('\n') ? pem : `${pem}\n`, { mode: 0o600 });
}

/**
 * The account-level record at `path`, or null if absent, unreadable or corrupt (logged; never fatal).
 * The shape is `parseAccountState`'s (state.ts): today's per-CA record, and 1.0's `{newOrders}` still read.
 */
export async function readAccountState(path: string, log: Logger): Promise<AccountState | null> {
  let text: string | null;
  try {
    text = await readIfExists(path);
  } catch (err) {
    log.warn({ file: path, err }, 'account state unreadable');
    return null;
  }
  if (text === null) return null;
  try {
    return parseAccountState(text);
  } catch (err) {
    log.warn({ file: path, err }, 'account state corrupt; starting afresh');
    return null;
  }
}

/** Atomic replace of the account-level record at `path`, mode 0600. */
export async function writeAccountState(stagingDir: string, path: string, state: AccountState): Promise<void> {
  await writeDurable(stagingDir, path, `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

/**
 * Where a further CA's account key lives: `accounts/<host>[_<port>]-<12 hex of sha256(url)>/client.key`
 * under the storage dir (outside `certs/`). Named by the directory URL, not its position, so reordering
 * `--acme` keeps each CA's account. The first CA of `--acme` keeps `client.key` (drop-in for 0.6.1).
 */
export function caAccountDir(directoryUrl: string): string {
  let host = 'ca';
  let named = directoryUrl;
  try {
    const u = new URL(directoryUrl);
    host = `${u.hostname}${u.port ? `_${u.port}` : ''}`.replace(/[^a-zA-Z0-9._-]/g, '_');
    // Named without userinfo: a changed password keeps the account.
    u.username = '';
    u.password = '';
    named = u.href;
  } catch {
    // an unparsable URL never reaches here (checked at start); the hash still tells CAs apart
  }
  const hash = createHash('sha256').update(named).digest('hex').slice(0, 12);
  return join('accounts', `${host}-${hash}`);
}

/**
 * The account key of a further CA, read from and written to `<storageDir>/<caAccountDir(url)>/client.key`
 * (the directory created 0700 on first write, the key 0600, atomically).
 */
export function caAccountKeyFiles(
  storageDir: string,
  stagingDir: string,
  directoryUrl: string,
): { readonly path: string; read(): Promise<string | null>; write(pem: string): Promise<void> } {
  const dir = join(storageDir, caAccountDir(directoryUrl));
  const path = join(dir, 'client.key');
  return {
    path,
    read: () => readIfExists(path),
    async write(pem: string) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeAccountKey(stagingDir, path, pem);
    },
  };
}
