/**
 * Outage benchmark (issue 15, points 1 and 2), with the real daemon and a real Pebble:
 *
 *  1. the CA down at start: Pebble stopped, the daemon started wanting 3 names, Pebble started again
 *     after `--down` seconds; prints the time from Pebble answering again to the first certificate
 *     installed (goal ≤ 10 s), and to the last;
 *  2. a disk-full episode of `--full` seconds on a small tmpfs (needs root): the daemon wants 3 new
 *     names while the disk is full; prints how many certificates Pebble issued meanwhile (goal 0), and
 *     the time from the disk having room again to the last certificate installed.
 *
 *   npm run build && node dist/bench/hardening.js [--runs 3] [--down 20] [--full 30]
 *
 * Figures only, no assertions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/lib/logger.js';
import { FileStore } from '../src/store/index.js';
import { startDaemon, type Daemon } from '../test/support/daemon.js';
import { freePort, startPebble, type PebbleInstance } from '../test/support/pebble.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    down: { type: 'string', default: '20' },
    full: { type: 'string', default: '30' },
  },
});
const RUNS = Number(values.runs);
const DOWN_S = Number(values.down);
const FULL_S = Number(values.full);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function daemon(pebble: PebbleInstance, port: number, storage: string, names: readonly string[]): Daemon {
  return startDaemon([
    ...['--acme', pebble.directoryUrl, '--acme-ca-cert', pebble.caCertPath, '--marathon', 'none', '--lb', 'none'],
    ...['--listen', `127.0.0.1:${port}`, '--email', 'ops@bench.test', '--domains', names.join(';'), storage],
  ]);
}

/** Resolves with the time each name's `certificate installed` line arrived. */
async function installedTimes(d: Daemon, names: readonly string[], timeoutMs: number): Promise<number[]> {
  return Promise.all(
    names.map(async (n) => {
      await d.waitForLog((l) => l.msg === 'certificate installed' && l.domain === n, timeoutMs, `${n} installed`);
      return Date.now();
    }),
  );
}

async function caDownAtStart(pebble: PebbleInstance, port: number, run: number): Promise<[number, number]> {
  const storage = mkdtempSync(join(tmpdir(), 'bench-hardening-'));
  const names = [0, 1, 2].map((i) => `r${run}-${i}.bench.test`);
  await pebble.pause();
  const d = daemon(pebble, port, storage, names);
  try {
    await sleep(DOWN_S * 1000);
    const waiting = installedTimes(d, names, 120_000);
    await pebble.resume(); // resolves once Pebble's directory answers
    const back = Date.now();
    const times = await waiting;
    return [Math.min(...times) - back, Math.max(...times) - back];
  } finally {
    await d.stop();
    rmSync(storage, { recursive: true, force: true });
  }
}

async function diskFull(pebble: PebbleInstance, port: number): Promise<{ issued: number; recoverMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', dir]);
  try {
    await new FileStore({ dir, logger: silentLogger() }).init();
    const filler = join(dir, 'filler');
    writeFileSync(filler, '');
    for (let chunk = 1 << 20; chunk >= 512; chunk >>= 1)
      for (;;) {
        try {
          writeFileSync(filler, Buffer.alloc(chunk, 1), { flag: 'a' });
        } catch {
          break;
        }
      }
    const names = [0, 1, 2].map((i) => `full-${i}.bench.test`);
    const before = pebble.issuedCount();
    const d = daemon(pebble, port, dir, names);
    try {
      await sleep(FULL_S * 1000);
      const issued = pebble.issuedCount() - before;
      const waiting = installedTimes(d, names, 60_000);
      unlinkSync(filler);
      const room = Date.now();
      const times = await waiting;
      return { issued, recoverMs: Math.max(...times) - room };
    } finally {
      await d.stop();
    }
  } finally {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]} ms (min ${s[0]}, max ${s[s.length - 1]})`;
};

const port = await freePort();
const pebble = await startPebble({ httpPort: port });
try {
  const first: number[] = [];
  const last: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const [a, b] = await caDownAtStart(pebble, port, run);
    first.push(a);
    last.push(b);
  }
  console.log(`CA down ${DOWN_S} s at start, ${RUNS} runs, 3 names each:`);
  console.log(`  CA answers again -> first certificate installed : ${stats(first)}  (goal <= 10000 ms)`);
  console.log(`  CA answers again -> all 3 installed             : ${stats(last)}`);
  const full = await diskFull(pebble, port);
  console.log(`disk full for ${FULL_S} s, 3 new names wanted:`);
  console.log(`  certificates Pebble issued during the episode   : ${full.issued}  (goal 0)`);
  console.log(`  room again -> all 3 installed                   : ${full.recoverMs} ms`);
} finally {
  await pebble.stop();
}
