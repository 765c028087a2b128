/** Runs every benchmark in turn, each in its own process (so peak memory figures stay separate). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const bench of ['marathon.js', 'acme.js', 'e2e.js']) {
  console.log(`\n=== bench/${bench.replace('.js', '')} ===`);
  const r = spawnSync(process.execPath, [join(here, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
