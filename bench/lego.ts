/**
 * The peer: Debian's lego obtaining certificates one by one from its own Pebble (real HTTP-01 on the
 * port Pebble's VA uses), as an operator would run it from cron. Shared by the benchmarks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPebble } from '../test/support/pebble.js';

const execFileAsync = promisify(execFile);
export const LEGO_BIN = '/usr/bin/lego';

/** Mean wall ms per certificate for `count` certificates, each for a fresh name from `name()`. */
export async function legoPerCert(count: number, name: () => string): Promise<number> {
  const pebble = await startPebble();
  const dir = mkdtempSync(join(tmpdir(), 'lego-bench-'));
  try {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      await execFileAsync(
        LEGO_BIN,
        [
          '--server',
          pebble.directoryUrl,
          '--accept-tos',
          '--email',
          'bench@example.test',
          '--path',
          dir,
          '--http',
          '--http.port',
          `127.0.0.1:${pebble.httpPort}`,
          '--domains',
          name(),
          'run',
        ],
        { env: { ...process.env, LEGO_CA_CERTIFICATES: pebble.caCertPath }, timeout: 120_000 },
      );
    }
    return (performance.now() - t0) / count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pebble.stop();
  }
}
