/**
 * The sync side of the agent tests: a tokens file with one `sync` token (and one `read` token), a
 * storage directory pre-filled with checked bundles, and `marathon-acme agent` run as a child process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, hashToken } from '../../src/lib/tokens.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FileStore } from '../../src/store/index.js';
import type { CertFactory } from './cert-factory.js';
import { type Daemon, startDaemon } from './daemon.js';
import { spec } from './fakes.js';

export interface SyncTokens {
  readonly file: string;
  readonly sync: string;
  readonly read: string;
  /** A file holding the sync token (for --token-file). */
  readonly syncFile: string;
  readonly readFile: string;
}

/** Write `<dir>/tokens` (the daemon's --api-tokens-file) and one file per token. */
export function writeSyncTokens(dir: string): SyncTokens {
  const sync = createToken();
  const read = createToken();
  const file = join(dir, 'tokens');
  writeFileSync(file, `agents sync ${hashToken(sync)}\nops read ${hashToken(read)}\n`);
  const syncFile = join(dir, 'sync-token');
  const readFile = join(dir, 'read-token');
  writeFileSync(syncFile, `${sync}\n`);
  writeFileSync(readFile, `${read}\n`);
  return { file, sync, read, syncFile, readFile };
}

/** Initialise `storageDir` and install `count` bundles `n<i>.<suffix>` issued by `factory`. */
export async function fillStore(
  storageDir: string,
  factory: CertFactory,
  count: number,
  suffix: string,
): Promise<string[]> {
  const store = new FileStore({ dir: storageDir, logger: silentLogger() });
  await store.init();
  const names = Array.from({ length: count }, (_, i) => `n${i}.${suffix}`);
  for (let i = 0; i < names.length; i += 20)
    await Promise.all(names.slice(i, i + 20).map(async (n) => store.install(spec(n), await factory.issue([n]))));
  return names;
}

/** `marathon-acme agent <args>` as a child process (JSON logs collected). */
export function startAgent(args: readonly string[], env: NodeJS.ProcessEnv = {}): Daemon {
  return startDaemon(args, { command: ['agent'], env });
}

/** The daemon's logged feed fingerprint. */
export async function feedFingerprint(daemon: Daemon): Promise<string> {
  const line = await daemon.waitForLog((l) => typeof l.fingerprint_sha256 === 'string', 30_000, 'sync feed ready');
  return line.fingerprint_sha256 as string;
}
