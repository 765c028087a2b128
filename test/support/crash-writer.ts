/**
 * Child process for the store crash test: installs bundles (and state records) from a pool in a tight
 * loop until it is SIGKILLed. Protocol: prints `ready` once loaded, starts on the first byte on stdin,
 * prints `+` after every completed install.
 * Usage: node crash-writer.js <storageDir> <pool.json>
 */
import { readFileSync } from 'node:fs';
import type { CertSpec, IssuedCertificate } from '../../src/domain/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FileStore } from '../../src/store/file-store.js';

interface PoolEntry extends IssuedCertificate {
  readonly name: string;
  readonly names: string[];
}

const [dir, poolFile] = process.argv.slice(2) as [string, string];
const pool = JSON.parse(readFileSync(poolFile, 'utf8')) as PoolEntry[];
const store = new FileStore({ dir, logger: silentLogger() });

async function run(): Promise<void> {
  await store.init();
  for (let i = 0; ; i += 1) {
    const e = pool[Math.floor(Math.random() * pool.length)]!;
    const spec: CertSpec = { name: e.name, names: e.names, requestedBy: [{ source: 'static' }] };
    await store.install(spec, e);
    await store.saveState(e.name, {
      name: e.name,
      names: e.names,
      requestedBy: [],
      failures: i,
      lastAttempt: new Date().toISOString(),
    });
    process.stdout.write('+');
  }
}

process.stdin.once('data', () => {
  run().catch((err: unknown) => {
    process.stderr.write(`crash-writer failed: ${String(err)}\n`);
    process.exit(2);
  });
});
process.stdout.write('ready\n');
