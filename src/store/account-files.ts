/**
 * The account's files in the storage directory: `client.key` (the ACME account key) and
 * `account-state.json` (the account-level record). Both are written atomically with mode 0600 and never
 * chowned to the HAProxy group (HAProxy never needs them).
 */
import { readFile } from 'node:fs/promises';
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
