/**
 * DNS-01 benchmark: time per order of a wildcard + base name certificate (two DNS-01 authorizations
 * sharing one `_acme-challenge` owner), RFC 2136 + TSIG updates to a real bind9 that is also Pebble's
 * resolver, beside Debian's lego with its `rfc2136` provider on the same bind9 and Pebble in the same run.
 *
 *   npm run build && node dist/bench/dns01.js [--orders N] [--lego N]
 *
 * Both use lego's default timings (polling every 2 s, 60 s propagation timeout) and ask bind9 itself
 * for the propagation check (our `--dns-resolvers`, lego's `--dns.resolvers` with `--dns.disable-cp`);
 * lego is measured also with RFC2136_SEQUENCE_INTERVAL=1 and RFC2136_POLLING_INTERVAL=1 (its defaults
 * present the two challenges 60 s apart). Each lego run is a process (account reused, as cron would).
 * Figures only, no assertions. Pebble's 5% badNonce injection stays on.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AcmeIssuer } from '../src/acme/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { Rfc2136Provider } from '../src/solvers/dns01/rfc2136.js';
import { Dns01Solver } from '../src/solvers/dns01/solver.js';
import { MemoryKeyStore } from '../test/support/acme-helpers.js';
import { startBind9 } from '../test/support/bind9.js';
import { startPebble } from '../test/support/pebble.js';
import { makeTempDir, removeTempDir } from '../test/support/temp-dirs.js';
import { LEGO_BIN } from './lego.js';
import { line, loadavg, median, mmm } from './proc.js';

const execFileAsync = promisify(execFile);
const arg = (flag: string, dflt: number): number => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ORDERS = arg('--orders', 10);
const LEGO = arg('--lego', 2);
const LEGO_TUNED = arg('--lego-tuned', 2);
const base = (): string => `b${randomBytes(5).toString('hex')}.example.test`;

async function main(): Promise<void> {
  const bind = await startBind9({ zones: [{ name: 'example.test' }] });
  const pebble = await startPebble({ dnsServer: bind.address });
  const dir = makeTempDir('dns01-bench-');
  try {
    const timing = { ttl: 120, propagationTimeoutMs: 60_000, pollingIntervalMs: 2000, sequenceIntervalMs: 0 };
    const solver = new Dns01Solver({
      provider: new Rfc2136Provider({
        nameserver: { host: '127.0.0.1', port: bind.port },
        key: { name: bind.keyName, algorithm: 'hmac-sha256.', secret: Buffer.from(bind.secret, 'base64') },
        timing,
      }),
      resolvers: [{ host: '127.0.0.1', port: bind.port }],
      systemResolvers: [],
    });
    const issuer = new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      ca: pebble.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [solver],
      challengeFor: () => 'dns-01',
      logger: silentLogger(),
      orderTimeoutMs: 120_000,
    });
    await issuer.init(AbortSignal.timeout(10_000));
    const ours: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const b = base();
      const t = performance.now();
      await issuer.issue({ names: [`*.${b}`, b], keyType: 'ec256' }, AbortSignal.timeout(120_000));
      ours.push(performance.now() - t);
    }
    issuer.close();

    const env = {
      ...process.env,
      LEGO_CA_CERTIFICATES: pebble.caCertPath,
      RFC2136_NAMESERVER: bind.address,
      RFC2136_TSIG_KEY: bind.keyName,
      RFC2136_TSIG_SECRET: bind.secret,
      RFC2136_TSIG_ALGORITHM: 'hmac-sha256.',
    };
    const runLego = async (count: number, extraEnv: NodeJS.ProcessEnv): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const b = base();
        const t = performance.now();
        await execFileAsync(
          LEGO_BIN,
          [
            ...[
              '--server',
              pebble.directoryUrl,
              '--accept-tos',
              '--email',
              'bench@example.test',
              '--path',
              join(dir, 'lego'),
            ],
            ...['--dns', 'rfc2136', '--dns.resolvers', bind.address, '--dns.disable-cp'],
            ...['--domains', `*.${b}`, '--domains', b, 'run'],
          ],
          { env: { ...env, ...extraEnv }, timeout: 180_000 },
        );
        times.push(performance.now() - t);
      }
      return times;
    };
    // lego's rfc2136 presents the two challenges one after the other, RFC2136_SEQUENCE_INTERVAL (60 s) apart.
    const lego = await runLego(LEGO, {});
    const tuned = await runLego(LEGO_TUNED, { RFC2136_SEQUENCE_INTERVAL: '1', RFC2136_POLLING_INTERVAL: '1' });
    line('marathon-acme, DNS-01 order (*.x + x), min/med/max', `${mmm(ours)}  (${ORDERS} orders, sequential)`);
    line('lego rfc2136, same certificate, min/med/max', `${mmm(lego)}  (${LEGO} runs, lego's defaults)`);
    line('lego rfc2136, SEQUENCE/POLLING_INTERVAL=1', `${mmm(tuned)}  (${LEGO_TUNED} runs)`);
    line('lego (defaults) / marathon-acme, medians', `${(median(lego) / median(ours)).toFixed(1)}x`);
    line('lego (intervals 1 s) / marathon-acme, medians', `${(median(tuned) / median(ours)).toFixed(1)}x`);
    line('load average', loadavg());
  } finally {
    removeTempDir(dir);
    await pebble.stop();
    await bind.stop();
  }
}

await main();
