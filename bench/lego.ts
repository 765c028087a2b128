/**
 * The peer: Debian's lego obtaining certificates from its own Pebble (same package and configuration
 * as the benchmarks'), with real HTTP-01 — lego writes the tokens into a webroot that a small server
 * here serves on the port Pebble's VA connects to, so several lego processes can run at once.
 *
 * `parallel` lego processes run at a time, each with its own account directory (reused for its next
 * certificates, as cron would); 1 = one after the other. Returns wall ms per certificate.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPebble } from '../test/support/pebble.js';
import { makeTempDir, removeTempDir } from '../test/support/temp-dirs.js';

const execFileAsync = promisify(execFile);
export const LEGO_BIN = '/usr/bin/lego';

/** Serve `<root>/.well-known/acme-challenge/<token>` on 127.0.0.1:port. */
function serveWebroot(root: string, port: number): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    try {
      if (!m) throw new Error('not a challenge');
      res.end(readFileSync(join(root, '.well-known', 'acme-challenge', m[1]!)));
    } catch {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise((r) => server.close(() => r())))),
  );
}

/** `count` certificates for fresh names from `name()`, `parallel` lego processes at a time. */
export async function legoPerCert(count: number, name: () => string, parallel = 1): Promise<number> {
  const pebble = await startPebble();
  const dir = makeTempDir('lego-bench-');
  const webroot = join(dir, 'webroot');
  mkdirSync(webroot);
  const closeWeb = await serveWebroot(webroot, pebble.httpPort);
  try {
    let next = 0;
    const worker = async (slot: number): Promise<void> => {
      for (; next < count; ) {
        next += 1;
        await execFileAsync(
          LEGO_BIN,
          [
            ...['--server', pebble.directoryUrl, '--accept-tos', '--email', 'bench@example.test'],
            ...['--path', join(dir, `account-${slot}`), '--http', '--http.webroot', webroot],
            ...['--domains', name(), 'run'],
          ],
          { env: { ...process.env, LEGO_CA_CERTIFICATES: pebble.caCertPath }, timeout: 180_000 },
        );
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, (_, i) => worker(i)));
    return (performance.now() - t0) / count;
  } finally {
    await closeWeb();
    removeTempDir(dir);
    await pebble.stop();
  }
}
