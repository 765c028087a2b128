/**
 * Agent mode: (1) 1,000 certificates synced to a fresh agent — wall time from the agent's start to the
 * last file and its one LB signal, and the agent's peak RSS — beside a floor measured in the same run
 * (the same 1,000 files copied with the same durable write: temp + fsync + rename + directory fsync, no
 * network, no checks); (2) install → agent file: the real stack (Pebble, Marathon simulator, the daemon
 * with --sync-listen) and one agent; for each new app, the time from the bundle appearing in the daemon's
 * certs/ to it appearing in the agent's (both polled every 2 ms). Prints figures; asserts nothing.
 *
 *   node dist/bench/agent.js [--certs 1000] [--apps 5]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../src/store/durable.js';
import { AgentDir } from '../src/agent/local.js';
import { feedFingerprint, fillStore, startAgent, writeSyncTokens } from '../test/support/agent.js';
import { createCertFactory } from '../test/support/cert-factory.js';
import { startDaemon } from '../test/support/daemon.js';
import { freePort } from '../test/support/haproxy.js';
import { httpServer } from '../test/support/notify-fakes.js';
import { app, startStack } from '../test/support/stack.js';
import { makeTempDir, removeTempDir } from '../test/support/temp-dirs.js';
import { fmtMs, line, loadavg, mmm, peakMb, sleep } from './proc.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CERTS = arg('certs', 1000);
const APPS = arg('apps', 5);

async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = 2): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(everyMs);
  }
  return performance.now();
}

async function fullSync(work: string): Promise<void> {
  const storage = join(work, 'storage');
  mkdirSync(storage);
  const factory = await createCertFactory('bench agent');
  const names = await fillStore(storage, factory, CERTS, 'bench.test');
  // Floor: the same files, the same durable write, nothing else.
  const floorDir = join(work, 'floor');
  mkdirSync(join(floorDir, 'certs'), { recursive: true });
  mkdirSync(join(floorDir, '.staging'));
  const f0 = performance.now();
  for (const n of names) {
    const text = readFileSync(join(storage, 'certs', `${n}.pem`), 'utf8');
    await writeDurable(join(floorDir, '.staging'), join(floorDir, 'certs', `${n}.pem`), text, { mode: 0o600 });
  }
  const floorMs = performance.now() - f0;

  const tokens = writeSyncTokens(work);
  const syncPort = await freePort();
  const daemon = startDaemon([
    '--marathon',
    'none',
    '--lb',
    'none',
    '--acme',
    'https://127.0.0.1:9/directory',
    '--listen',
    `127.0.0.1:${await freePort()}`,
    '--sync-listen',
    `127.0.0.1:${syncPort}`,
    '--api-tokens-file',
    tokens.file,
    storage,
  ]);
  const fp = await feedFingerprint(daemon);
  const dir = join(work, 'agent');
  await new AgentDir(dir).init(); // default.pem made beforehand: its RSA key is not the sync's cost
  const lb = await httpServer({ after: () => undefined }, () => 200);
  const t0 = performance.now();
  const agent = startAgent([
    '--server',
    `https://127.0.0.1:${syncPort}`,
    '--server-fingerprint',
    fp,
    '--token-file',
    tokens.syncFile,
    '--lb',
    lb.url,
    '--listen',
    `127.0.0.1:${await freePort()}`,
    dir,
  ]);
  const certs = join(dir, 'certs');
  const tFiles = await waitFor(() => readdirSync(certs).length >= CERTS, 600_000, 5);
  const tSignal = await waitFor(() => lb.hits.length > 0, 60_000, 5);
  const peak = peakMb(agent.pid);
  console.log(`load average: ${loadavg()}`);
  line(`${CERTS} certificates to a fresh agent, start -> last file`, fmtMs(tFiles - t0));
  line('start -> the one LB signal', `${fmtMs(tSignal - t0)} (${lb.hits.length} signal)`);
  line(`floor: the same ${CERTS} durable writes, in-process`, fmtMs(floorMs));
  line('agent peak RSS (VmHWM)', `${peak.toFixed(0)} MB`, '< 100 MB');
  await agent.stop();
  await daemon.stop();
}

async function installLatency(work: string): Promise<void> {
  const tokens = writeSyncTokens(work);
  const syncPort = await freePort();
  const stack = await startStack({
    daemonArgs: ['--sync-listen', `127.0.0.1:${syncPort}`, '--api-tokens-file', tokens.file],
  });
  try {
    const fp = await feedFingerprint(stack.daemon);
    const dir = join(work, 'latency-agent');
    const agent = startAgent([
      '--server',
      `https://127.0.0.1:${syncPort}`,
      '--server-fingerprint',
      fp,
      '--token-file',
      tokens.syncFile,
      '--lb',
      'none',
      '--listen',
      `127.0.0.1:${await freePort()}`,
      dir,
    ]);
    await sleep(2000); // connected and idle in its long-poll
    const lat: number[] = [];
    for (let i = 0; i < APPS; i += 1) {
      const name = `lat${i}.bench.test`;
      stack.sim.apps.add(app(`/bench/lat${i}`, { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: name }));
      const onServer = await waitFor(() => existsSync(join(stack.storageDir, 'certs', `${name}.pem`)), 120_000);
      const onAgent = await waitFor(() => existsSync(join(dir, 'certs', `${name}.pem`)), 30_000);
      lat.push(onAgent - onServer);
    }
    line(`install on the server -> agent file (${APPS} apps)`, `${mmm(lat)} (min / median / max)`, '< 1 s');
    await agent.stop();
  } finally {
    await stack.stop();
  }
}

const work = makeTempDir('bench-agent-');
try {
  await fullSync(work);
  await installLatency(work);
} finally {
  removeTempDir(work);
}
process.exit(0);
