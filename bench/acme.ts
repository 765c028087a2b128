/**
 * ACME client benchmark against a real Pebble (Debian 2.4) with real HTTP-01 validation.
 *
 *   npm run build && node dist/bench/acme.js [--lego N]
 *
 * Prints, from one run:
 *  - ms per order (one fresh name per order, 20 orders) sequentially and with concurrency 5;
 *  - Pebble's own floor: the same client in a tight loop with PEBBLE_VA_ALWAYS_VALID=1 and 10 ms polling;
 *  - Debian's lego obtaining N (default 3) certificates from its own Pebble, per certificate;
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
import { legoPerCert } from './lego.js';

const execFileAsync = promisify(execFile);
const NAMES = 20;

const name = (): string => `bench-${randomBytes(6).toString('hex')}.example.test`;

interface Rig {
  pebble: PebbleInstance;
  web: Http01Server;
  issuer: AcmeIssuer;
}

async function rig(
  env: Record<string, string> = {},
  poll: { pollInitialMs?: number; pollMaxMs?: number } = {},
): Promise<Rig> {
  const pebble = await startPebble({ env });
  const web = await startHttp01Server(pebble.httpPort);
  const issuer = new AcmeIssuer({
    directoryUrl: pebble.directoryUrl,
    ca: pebble.caPem,
    accountKey: new MemoryKeyStore(),
    solvers: [web.solver],
    logger: silentLogger(),
    orderTimeoutMs: 60_000,
    ...poll,
  });
  await issuer.init(AbortSignal.timeout(10_000)); // account registration is not part of the per-order time
  return { pebble, web, issuer };
}

async function teardown(r: Rig): Promise<void> {
  r.issuer.close();
  await r.web.close();
  await r.pebble.stop();
}

/** Run `count` orders with `concurrency` workers; returns wall ms per order. */
async function orders(issuer: AcmeIssuer, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      await issuer.issue({ names: [name()], keyType: 'ec256' }, AbortSignal.timeout(60_000));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - t0) / count;
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
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

  const real = await rig();
  let seq: number, conc: number;
  try {
    await orders(real.issuer, 3, 1); // warm-up: JIT, TLS session, keep-alive connection
    seq = await orders(real.issuer, NAMES, 1);
    conc = await orders(real.issuer, NAMES, 5);
  } finally {
    await teardown(real);
  }

  const floorRig = await rig({ PEBBLE_VA_ALWAYS_VALID: '1' }, { pollInitialMs: 10, pollMaxMs: 10 });
  let floor: number;
  try {
    await orders(floorRig.issuer, 3, 1);
    floor = await orders(floorRig.issuer, NAMES, 1);
  } finally {
    await teardown(floorRig);
  }

  const rss = await measureRss();

  let lego: number | undefined;
  try {
    lego = await legoPerCert(legoCount, name);
  } catch (err) {
    console.log(`lego failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }

  console.log('');
  console.log(`marathon-acme, sequential        : ${fmt(seq)} per order`);
  console.log(`marathon-acme, concurrency 5     : ${fmt(conc)} per order (wall time / orders)`);
  console.log(`Pebble floor (ALWAYS_VALID, 10ms): ${fmt(floor)} per order`);
  if (lego !== undefined) console.log(`lego (${legoCount} certificates)         : ${fmt(lego)} per certificate`);
  console.log('');
  console.log(`ratio sequential / Pebble floor  : ${(seq / floor).toFixed(2)}x   (target <= 1.5x)`);
  if (lego !== undefined)
    console.log(`lego / marathon-acme sequential  : ${(lego / seq).toFixed(1)}x faster (target >= 20x)`);
  console.log(
    `peak RSS, 100 orders (conc. 5)   : ${rss.peakMb.toFixed(1)} MB (target < 80 MB); RSS before the first order ${rss.baselineMb.toFixed(1)} MB`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
