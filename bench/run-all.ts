/**
 * Runs every benchmark in turn, each in its own process (so peak memory figures stay separate).
 *   node dist/bench/run-all.js [--lego N]   (N lego certificates for the ACME and e2e peers)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
const i = process.argv.indexOf('--lego');
const lego = i > 0 && process.argv[i + 1] ? ['--lego', process.argv[i + 1]!] : [];
const benches: Array<[string, string[]]> = [
  ['marathon.js', []],
  ['hostile.js', []],
  ['acme.js', lego],
  ['e2e.js', lego],
  ['adoption.js', []],
  ['hardening.js', []],
];
for (const [bench, args] of benches) {
  console.log(`\n=== bench/${bench.replace('.js', '')} ===`);
  const r = spawnSync(process.execPath, [join(here, bench), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
