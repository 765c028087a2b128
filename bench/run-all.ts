/**
 * Runs every benchmark in turn, each in its own process (so peak memory figures stay separate), then
 * prints the goals and the figure lines that carry them, together.
 *   node dist/bench/run-all.js [--lego N]   (N lego certificates for the ACME and e2e peers)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadavg } from './proc.js';

const here = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--lego');
const lego = i > 0 && process.argv[i + 1] ? ['--lego', process.argv[i + 1]!] : [];
const benches: Array<[string, string[]]> = [
  ['marathon.js', []],
  ['hostile.js', []],
  ['acme.js', lego],
  ['e2e.js', lego],
  ['adoption.js', []],
  ['hardening.js', []],
  ['dns01.js', []],
  ['scale.js', []],
  ['ui.js', []],
  ['failover.js', []],
  ['agent.js', []],
];

/** The project's goals (issue 9), as the summary prints them. */
const GOALS = [
  'latency: P1 (app posted -> served) of a lone app <= 0.2 s median',
  'memory: <= 100 MB RSS at 5,000 certificates and 10,000 apps, /metrics and /status scrapes included',
  'idle CPU: < 1 % of a core',
  'start-up: adoption <= 1.3x a floor of one key parse + one leaf parse per file',
  'failover (--zk, session timeout 10 s): kill -9 of the leader -> next certificate served <= 15 s; 1 order per name',
];

function run(bench: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, bench), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.once('exit', (code) => resolve({ code, out }));
  });
}

async function main(): Promise<void> {
  let failed = 0;
  const withGoals: string[] = [];
  console.log(`load average at the start: ${loadavg()}`);
  for (const [bench, args] of benches) {
    console.log(`\n=== bench/${bench.replace('.js', '')} ===`);
    const r = await run(bench, args);
    if (r.code !== 0) failed++;
    for (const l of r.out.split('\n')) if (l.includes('[goal:')) withGoals.push(`${bench.replace('.js', '')}: ${l}`);
  }
  console.log('\n=== goals ===');
  for (const g of GOALS) console.log(`- ${g}`);
  console.log('\n=== figures beside their goals ===');
  for (const l of withGoals) console.log(l);
  console.log(`\nload average at the end: ${loadavg()}`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
