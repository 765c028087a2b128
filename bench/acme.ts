/**
 * ACME client benchmark against a real Pebble (Debian 2.4) with real HTTP-01 validation.
 *
 *   npm run build && node dist/bench/acme.js [--lego N]
 *
 * Prints, from one run:
 *  - ms per order (one fresh name per order, 20 orders) sequentially (min / median / max) and with
 *    concurrency 5 (wall time / orders);
 *  - the floor, from an independent client (bench/floor_acme.py, Debian's python3-acme, polling every
 *    10 ms): the same 20 orders with real HTTP-01, and with PEBBLE_VA_ALWAYS_VALID=1 (pure protocol);
 *  - Debian's lego obtaining N (default 3) certificates one after the other, and max(N, 10) with 10
 *    lego processes at once, per certificate, each against our matching run;
 *  - peak RSS over 100 orders (concurrency 5), measured in a fresh child process (`--rss-child`) so the
 *    earlier phases do not count, beside that process's RSS before the first order (Node + modules).
 * Figures only, no assertions. Pebble's 5% badNonce injection stays on.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { AcmeIssuer } from '../src/acme/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { startPebble, type PebbleInstance } from '../test/support/pebble.js';
import { startHttp01Server, type Http01Server } from '../test/support/http01-server.js';
import { MemoryKeyStore } from '../test/support/acme-helpers.js';
import { acmeFloor } from './floor.js';
import { legoPerCert } from './lego.js';
import { line, loadavg, mmm } from './proc.js';

const execFileAsync = promisify(execFile);
const NAMES = 20;

const name = (): string => `bench-${randomBytes(6).toString('hex')}.example.test`;

interface Rig {
  pebble: PebbleInstance;
  web: Http01Server;
  issuer: AcmeIssuer;
}

async function rig(): Promise<Rig> {
  const pebble = await startPebble();
  const web = await startHttp01Server(pebble.httpPort);
  const issuer = new AcmeIssuer({
    directoryUrl: pebble.directoryUrl,
    ca: pebble.caPem,
    accountKey: new MemoryKeyStore(),
    solvers: [web.solver],
    logger: silentLogger(),
    orderTimeoutMs: 60_000,
  });
  await issuer.init(AbortSignal.timeout(10_000)); // account registration is not part of the per-order time
  return { pebble, web, issuer };
}

async function teardown(r: Rig): Promise<void> {
  r.issuer.close();
  await r.web.close();
  await r.pebble.stop();
}

/** Run `count` orders with `concurrency` workers; wall ms per order, and each order's own ms in `each`. */
async function orders(issuer: AcmeIssuer, count: number, concurrency: number, each: number[] = []): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const t = performance.now();
      await issuer.issue({ names: [name()], keyType: 'ec256' }, AbortSignal.timeout(60_000));
      each.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - t0) / count;
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

async function tryLego(count: number, parallel: number): Promise<number | undefined> {
  try {
    return await legoPerCert(count, name, parallel);
  } catch (err) {
    console.log(`lego failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return undefined;
  }
}

/** Child mode: 100 orders, then print {baselineMb, peakMb} as JSON. */
async function rssChild(): Promise<void> {
  const real = await rig();
  try {
    const baselineMb = process.memoryUsage().rss / 1048576;
    await orders(real.issuer, 100, 5);
    console.log(JSON.stringify({ baselineMb, peakMb: process.resourceUsage().maxRSS / 1024 }));
  } finally {
    await teardown(real);
  }
}

async function measureRss(): Promise<{ baselineMb: number; peakMb: number }> {
  const { stdout } = await execFileAsync(process.execPath, [fileURLToPath(import.meta.url), '--rss-child'], {
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { baselineMb: number; peakMb: number };
}

async function main(): Promise<void> {
  if (process.argv.includes('--rss-child')) return rssChild();
  const legoCount = Number(process.argv[process.argv.indexOf('--lego') + 1]) || 3;
  console.log(
    `ACME benchmark: Pebble 2.4, real HTTP-01, PEBBLE_VA_NOSLEEP=1, 5% badNonce; ${NAMES} orders of one fresh name each`,
  );
  const load = loadavg();

  const real = await rig();
  const each: number[] = [];
  let seq: number, conc: number;
  try {
    await orders(real.issuer, 3, 1); // warm-up: JIT, TLS session, keep-alive connection
    seq = await orders(real.issuer, NAMES, 1, each);
    conc = await orders(real.issuer, NAMES, 5);
  } finally {
    await teardown(real);
  }
  const floorHttp = await acmeFloor(NAMES, 'http-01');
  const floorPure = await acmeFloor(NAMES, 'always-valid');
  const rss = await measureRss();
  const legoSeq = await tryLego(legoCount, 1);
  const legoPar = await tryLego(Math.max(legoCount, 10), 10);

  console.log('');
  console.log(`load average: ${load} (start), ${loadavg()} (end)`);
  line('marathon-acme, sequential (min / median / max)', `${mmm(each, fmt)}; mean ${fmt(seq)} per order`);
  line('marathon-acme, concurrency 5', `${fmt(conc)} per order (wall time / orders)`);
  line(
    `floor: ${floorHttp.client}, real HTTP-01`,
    `${mmm([floorHttp.min_ms, floorHttp.median_ms, floorHttp.max_ms], fmt)}; mean ${fmt(floorHttp.ms_per_order)}`,
  );
  line(
    `floor: ${floorPure.client}, ALWAYS_VALID`,
    `${mmm([floorPure.min_ms, floorPure.median_ms, floorPure.max_ms], fmt)}; mean ${fmt(floorPure.ms_per_order)}`,
  );
  line('ratio sequential / python3-acme (HTTP-01), means', `${(seq / floorHttp.ms_per_order).toFixed(2)}x`, '<= 1.5x');
  if (legoSeq !== undefined) {
    line(`lego, one at a time (${legoCount} certificates)`, `${fmt(legoSeq)} per certificate`);
    line('  vs marathon-acme sequential', `${(legoSeq / seq).toFixed(1)}x faster`, '>= 20x');
  }
  if (legoPar !== undefined) {
    line(`lego, 10 processes at once (${Math.max(legoCount, 10)} certificates)`, `${fmt(legoPar)} per certificate`);
    line('  vs marathon-acme concurrency 5', `${(legoPar / conc).toFixed(1)}x faster`, '>= 20x');
  }
  line(
    'peak RSS, 100 orders (conc. 5)',
    `${rss.peakMb.toFixed(1)} MB; RSS before the first order ${rss.baselineMb.toFixed(1)} MB`,
    '< 80 MB',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
