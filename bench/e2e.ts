/**
 * End-to-end benchmark: from an app being POSTed to the Marathon simulator to its certificate being
 * served by HAProxy (TLS handshake, verified against Pebble's root), through the real daemon, Pebble
 * (real HTTP-01 through HAProxy) and the marathon-lb stand-in. Three phases, each with its own count
 * of marathon-lb signals and HAProxy reloads:
 *  - P1, lone app: each app posted after 3 s of quiet (nothing in flight, no coalescing window open);
 *  - P1, back to back: each app posted the moment the previous one is served;
 *  - 100 apps posted at once: first served, median, all served.
 * Beside them, in the same run:
 *  - the floor of one order from an independent client (bench/floor_acme.py, python3-acme), with real
 *    HTTP-01 and with PEBBLE_VA_ALWAYS_VALID=1;
 *  - Debian's lego for the 100 certificates: N measured one after the other (default 5) and max(N, 10)
 *    with 10 lego processes at once, extrapolated to 100 unless `--lego 100`.
 *
 *   npm run build && node dist/bench/e2e.js [--lego N] [--samples 7]
 * Figures only, no assertions.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startStack, app, type Stack } from '../test/support/stack.js';
import { probeTls } from '../test/support/tls-probe.js';
import { acmeFloor } from './floor.js';
import { legoPerCert } from './lego.js';
import { fmtMs, line, loadavg, median, mmm, sleep } from './proc.js';

const fresh = (): string => `b${randomBytes(5).toString('hex')}.bench.test`;
const labels = (name: string): Record<string, string> => ({ HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: name });

/** Poll HAProxy until it serves a certificate for `name` that verifies against Pebble's root. */
async function servedAt(stack: Stack, root: string, name: string, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const c = await probeTls(stack.haproxy.httpsPort, { servername: name, ca: root, timeoutMs: 2000 });
      if (c.authorized && c.altNames.includes(name)) return performance.now();
    } catch {
      /* default.pem does not verify: not yet */
    }
    await sleep(10);
  }
  throw new Error(`${name} not served within ${timeoutMs} ms`);
}

/** POST an app to the simulator's /v2/apps, as a deployment tool would; resolves when Marathon answered. */
async function post(stack: Stack, id: string, name: string): Promise<void> {
  const res = await fetch(`${stack.sim.url}/v2/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(app(id, labels(name))),
  });
  if (res.status !== 201) throw new Error(`POST /v2/apps: HTTP ${res.status}`);
  await res.arrayBuffer();
}

interface Phase {
  readonly times: number[];
  readonly signals: number;
  readonly reloads: number;
}

/** Run `body`, then wait for 2 s without a marathon-lb signal; count the signals and reloads it caused. */
async function phase(stack: Stack, body: (times: number[]) => Promise<void>): Promise<Phase> {
  const calls0 = stack.mlb.calls.length;
  const reloads0 = stack.mlb.reloads.length;
  const times: number[] = [];
  await body(times);
  for (let seen = -1; seen !== stack.mlb.calls.length; ) {
    seen = stack.mlb.calls.length;
    await sleep(2000);
  }
  await stack.mlb.idle();
  return { times, signals: stack.mlb.calls.length - calls0, reloads: stack.mlb.reloads.length - reloads0 };
}

async function p1(stack: Stack, root: string, samples: number, quietMs: number, tag: string): Promise<Phase> {
  return phase(stack, async (times) => {
    for (let i = 0; i < samples; i++) {
      if (quietMs > 0) await sleep(quietMs);
      const name = fresh();
      const t0 = performance.now();
      await post(stack, `/bench/${tag}-${i}`, name);
      times.push((await servedAt(stack, root, name)) - t0);
    }
  });
}

async function burst(stack: Stack, root: string, count: number): Promise<Phase> {
  return phase(stack, async (times) => {
    const names = Array.from({ length: count }, fresh);
    const t0 = performance.now();
    const served = names.map((n) => servedAt(stack, root, n));
    await Promise.all(names.map((n, i) => post(stack, `/bench/many-${i}`, n)));
    for (const t of await Promise.all(served)) times.push(t - t0);
  });
}

function report(label: string, p: Phase, goal?: string): void {
  line(label, `${mmm(p.times)}  (min / median / max of ${p.times.length})`, goal);
  line('  marathon-lb signals / HAProxy reloads', `${p.signals} / ${p.reloads}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lego: { type: 'string' }, samples: { type: 'string', default: '7' } } });
  const legoCount = Number(values.lego) || 5;
  const samples = Number(values.samples);
  const load = loadavg();
  const floorHttp = await acmeFloor(10, 'http-01');
  const floorPure = await acmeFloor(10, 'always-valid');

  const stack = await startStack({ daemonArgs: ['--order-budget', '0'] });
  let lone: Phase, b2b: Phase, hundred: Phase;
  try {
    await stack.daemon.waitForLog((l) => l.msg === 'ACME account ready', 30_000, 'account');
    const root = await stack.pebble.rootPem();
    await p1(stack, root, 2, 3000, 'warm'); // JIT, connections, first reload
    lone = await p1(stack, root, samples, 3000, 'lone');
    b2b = await p1(stack, root, samples, 0, 'b2b');
    hundred = await burst(stack, root, 100);
  } finally {
    await stack.stop();
  }
  const legoSeq = await legoPerCert(legoCount, fresh, 1);
  const legoPar = await legoPerCert(Math.max(legoCount, 10), fresh, 10);
  const all = Math.max(...hundred.times);

  console.log('marathon-acme end to end (Pebble 2.4, real HTTP-01 through HAProxy, 5% badNonce)');
  console.log(`load average: ${load} (start), ${loadavg()} (end)`);
  line('floor: one order, python3-acme, real HTTP-01', `${fmtMs(floorHttp.median_ms)} median of ${floorHttp.orders}`);
  line('floor: one order, python3-acme, ALWAYS_VALID', `${fmtMs(floorPure.median_ms)} median of ${floorPure.orders}`);
  report('P1 lone app: posted -> served by HAProxy', lone, '<= 0.2 s median');
  report('P1 back to back (next posted when one is served)', b2b);
  line(
    '100 apps posted at once: first / median / all served',
    `${fmtMs(Math.min(...hundred.times))} / ${fmtMs(median(hundred.times))} / ${fmtMs(all)}`,
  );
  line('  marathon-lb signals / HAProxy reloads', `${hundred.signals} / ${hundred.reloads}`);
  const extrapolated = (n: number): string => (n >= 100 ? 'measured' : `${n} measured, x100`);
  line(
    `lego one at a time, 100 certificates (${extrapolated(legoCount)})`,
    `${fmtMs(legoSeq * 100)} -> marathon-acme ${((legoSeq * 100) / all).toFixed(1)}x faster`,
  );
  const parCount = Math.max(legoCount, 10);
  line(
    `lego 10 at once, 100 certificates (${extrapolated(parCount)})`,
    `${fmtMs(legoPar * 100)} -> marathon-acme ${((legoPar * 100) / all).toFixed(1)}x faster`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
