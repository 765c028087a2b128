/**
 * End-to-end benchmark: from an app being posted to the Marathon simulator to its certificate being
 * served by HAProxy (TLS handshake, verified), through the real daemon, Pebble (real HTTP-01 through
 * HAProxy) and the marathon-lb stand-in. Beside it, in the same run:
 *  - what Pebble itself needs for one order (our ACME client in a tight loop, PEBBLE_VA_ALWAYS_VALID=1);
 *  - Debian's lego obtaining certificates one by one (N of them, default 5; `--lego 100` for all 100).
 *
 *   npm run build && node dist/bench/e2e.js [--lego N]
 * Figures only, no assertions.
 */
import { randomBytes } from 'node:crypto';
import { AcmeIssuer } from '../src/acme/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { startPebble } from '../test/support/pebble.js';
import { startHttp01Server } from '../test/support/http01-server.js';
import { MemoryKeyStore } from '../test/support/acme-helpers.js';
import { startStack, app, type Stack } from '../test/support/stack.js';
import { probeTls } from '../test/support/tls-probe.js';
import { legoPerCert } from './lego.js';

const fresh = (): string => `b${randomBytes(5).toString('hex')}.bench.test`;
const labels = (name: string): Record<string, string> => ({ HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: name });
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

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
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name} not served within ${timeoutMs} ms`);
}

async function pebbleFloor(orders: number): Promise<number> {
  const pebble = await startPebble({ env: { PEBBLE_VA_ALWAYS_VALID: '1' } });
  const web = await startHttp01Server(pebble.httpPort);
  const issuer = new AcmeIssuer({
    directoryUrl: pebble.directoryUrl,
    ca: pebble.caPem,
    accountKey: new MemoryKeyStore(),
    solvers: [web.solver],
    logger: silentLogger(),
    pollInitialMs: 10,
    pollMaxMs: 10,
  });
  try {
    await issuer.init(AbortSignal.timeout(10_000));
    const t0 = performance.now();
    for (let i = 0; i < orders; i++)
      await issuer.issue({ names: [fresh()], keyType: 'ec256' }, AbortSignal.timeout(60_000));
    return (performance.now() - t0) / orders;
  } finally {
    issuer.close();
    await web.close();
    await pebble.stop();
  }
}

async function main(): Promise<void> {
  const legoCount = Number(process.argv[process.argv.indexOf('--lego') + 1]) || 5;
  const floor = await pebbleFloor(10);

  const stack = await startStack({ daemonArgs: ['--order-budget', '0'] });
  try {
    await stack.daemon.waitForLog((l) => l.msg === 'ACME account ready', 30_000, 'account');
    const root = await stack.pebble.rootPem();
    // One app at a time: posted -> served.
    const single: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = fresh();
      const t0 = performance.now();
      stack.sim.apps.add(app(`/bench/one-${i}`, labels(name)));
      single.push((await servedAt(stack, root, name)) - t0);
    }
    single.sort((a, b) => a - b);
    const median = single[2]!;

    // 100 apps at once.
    const names = Array.from({ length: 100 }, fresh);
    const t0 = performance.now();
    for (const [i, n] of names.entries()) stack.sim.apps.add(app(`/bench/many-${i}`, labels(n)));
    const done = await Promise.all(names.map((n) => servedAt(stack, root, n)));
    const hundred = Math.max(...done) - t0;
    const reloads = stack.mlb.calls.length;

    const lego = await legoPerCert(legoCount, fresh);
    const lego100 = lego * 100;
    console.log('marathon-acme end to end (Pebble 2.4, real HTTP-01 through HAProxy, 5% badNonce)');
    console.log(`Pebble's own time per order (always-valid, tight loop) : ${fmt(floor)}`);
    console.log(
      `app posted -> served by HAProxy, median of 5            : ${fmt(median)}  (${(median / floor).toFixed(1)}x one bare order; includes the event, a re-list (coalesced: at most one a second), the order, the write, the signal and the HAProxy reload)`,
    );
    console.log(`  all five                                              : ${single.map(fmt).join(', ')}`);
    console.log(
      `100 apps posted at once -> all 100 served               : ${fmt(hundred)}  (${reloads} marathon-lb reloads in all)`,
    );
    console.log(`lego, per certificate (${legoCount} measured)                  : ${fmt(lego)}`);
    console.log(
      `lego, 100 certificates ${legoCount >= 100 ? '(measured)' : '(extrapolated)'}                : ${fmt(lego100)}  -> marathon-acme is ${(lego100 / hundred).toFixed(1)}x faster`,
    );
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
