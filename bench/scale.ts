/**
 * The daemon at scale: 10,000 apps in the Marathon simulator (a separate process), 5,000 valid
 * certificates already on disk (a 0.6.1 volume: certs/ only), so there is nothing to order. The CA is
 * a Pebble without ARI by default (`--ca pebble`: the daemon learns once that there is no renewal
 * information, as with most CAs), or unreachable (`--ca unreachable`: a CA outage at start, when every
 * certificate's renewal-information check fails and is deferred). Prints:
 *  - adoption: daemon spawned → `storage loaded`, first start (no state records) and restart (with
 *    them), beside the floor measured in this process on the same files (one key parse + one leaf
 *    parse per file, Node's native parsers; page cache warm for both);
 *  - steady RSS once the daemon is idle; idle CPU % over `--idle` seconds (default 30), twice: the
 *    first window includes V8's one-off compaction after start-up, the second is the steady cost;
 *  - peak and settled RSS around one /metrics scrape, one /status scrape, then 10 more of each;
 *  - what one scrape costs (ms, size).
 *
 *   npm run build && node dist/bench/scale.js [--apps 10000] [--certs 5000] [--idle 30]
 *        [--node-flags="--max-semi-space-size=1"] [--malloc-arena-max=2] [--ca pebble|unreachable]
 *        [--store DIR] [--daemon-log FILE] [--sync]
 * `--node-flags` are given to the daemon's node and `--malloc-arena-max` to its glibc (defaults: what
 * docs/deploy/Dockerfile sets, so the figures are the shipped image's; `--node-flags= --malloc-arena-max=`
 * for Node's and glibc's defaults). The daemon itself sets V8's heap growth (src/lib/heap.ts).
 * `--sync` serves the agents' feed too (`--sync-listen`: its change detector and rescans run).
 * `--store DIR` reuses (or creates once) the generated certificates in DIR instead of a temporary directory.
 * Figures only, no assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPebble } from '../test/support/pebble.js';
import { freePort } from '../test/support/ports.js';
import { makeTempDir } from '../test/support/temp-dirs.js';
import { cpuSeconds, fmtMs, line, loadavg, median, peakMb, resetPeak, rssMb, sleep } from './proc.js';
import { adoptionFloor, clusterFor, writeStore } from './scale-store.js';

const here = dirname(fileURLToPath(import.meta.url));
const DAEMON = join(here, '..', 'src', 'main.js');
const SIM_CLI = join(here, '..', 'test', 'support', 'marathon-simulator', 'cli.js');
export const SHIPPED_NODE_FLAGS = '--max-semi-space-size=1'; // keep in step with docs/deploy/Dockerfile
/** glibc's malloc arenas (one per thread by default, up to 8 per core): the image sets 2 (Dockerfile). */
export const SHIPPED_MALLOC_ARENA_MAX = '2';

/** Killed at exit, also on Ctrl-C (temp-dirs.ts turns the signal into an exit). */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function startSimulator(appsFile: string): Promise<string> {
  const child = spawn(process.execPath, [SIM_CLI, '--port', '0', '--apps', appsFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
}

/** Wall ms from spawn and from the first log line to `storage loaded`; CPU ms the process used until then. */
interface Adoption {
  readonly fromSpawn: number;
  readonly fromStart: number;
  readonly cpu: number;
}

interface Running {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Resolves at the `storage loaded` log line. */
  loaded: Promise<Adoption>;
  stop(): Promise<void>;
}

interface Ca {
  readonly args: string[];
  stop(): Promise<void>;
}

async function startCa(kind: string): Promise<Ca> {
  if (kind === 'unreachable')
    return { args: ['--acme', `https://127.0.0.1:${await freePort()}/directory`], stop: async () => undefined };
  const pebble = await startPebble();
  return { args: ['--acme', pebble.directoryUrl, '--acme-ca-cert', pebble.caCertPath], stop: () => pebble.stop() };
}

async function syncArgs(o: Options): Promise<string[]> {
  return o.sync ? ['--sync-listen', `127.0.0.1:${await freePort()}`] : [];
}

async function startDaemon(
  storage: string,
  marathon: string,
  ca: Ca,
  nodeFlags: string[],
  mallocArenaMax: string,
  extraArgs: string[],
  logFile?: string,
): Promise<Running> {
  const [port, closed] = await Promise.all([freePort(), freePort()]);
  const args = [
    ...nodeFlags,
    DAEMON,
    ...ca.args,
    ...['--marathon', marathon],
    ...['--lb', `http://127.0.0.1:${closed}`, '--listen', `127.0.0.1:${port}`, '--email', 'ops@bench.test'],
    ...extraArgs,
    ...['--log-format', 'json', storage],
  ];
  const t0 = performance.now();
  const env = { ...process.env };
  if (mallocArenaMax) env.MALLOC_ARENA_MAX = mallocArenaMax;
  else delete env.MALLOC_ARENA_MAX;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  children.add(child);
  if (logFile) child.stdout!.pipe(createWriteStream(logFile, { flags: 'a' }));
  let buf = '';
  let started: number | undefined;
  const loaded = new Promise<Adoption>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      const now = performance.now();
      started ??= now;
      buf += c.toString('utf8');
      if (buf.includes('"storage loaded"'))
        resolve({ fromSpawn: now - t0, fromStart: now - started, cpu: cpuSeconds(child.pid!) * 1000 });
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before loading storage`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    loaded,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

/** Wait until the process used under 2% of a core in each of 3 consecutive seconds (max `maxMs`). */
async function settle(pid: number, maxMs = 600_000): Promise<number> {
  const t0 = performance.now();
  let quiet = 0;
  let last = cpuSeconds(pid);
  while (quiet < 3 && performance.now() - t0 < maxMs) {
    await sleep(1000);
    const now = cpuSeconds(pid);
    quiet = now - last < 0.02 ? quiet + 1 : 0;
    last = now;
  }
  return performance.now() - t0;
}

/** One GET: wall ms, the daemon's CPU ms (10 ms resolution), body size, and the RSS peak during it. */
async function scrape(d: Running, path: string): Promise<{ ms: number; cpu: number; bytes: number; peak: number }> {
  resetPeak(d.pid);
  const c0 = cpuSeconds(d.pid);
  const t0 = performance.now();
  const body = await (await fetch(`${d.url}${path}`)).text();
  const ms = performance.now() - t0;
  return { ms, cpu: (cpuSeconds(d.pid) - c0) * 1000, bytes: Buffer.byteLength(body), peak: peakMb(d.pid) };
}

interface Options {
  apps: number;
  certs: number;
  idle: number;
  nodeFlags: string[];
  mallocArenaMax: string;
  /** Serve the agents' feed (--sync-listen), whose change detector and rescans then run too. */
  sync: boolean;
  store?: string;
  daemonLog?: string;
  ca: string;
}

async function prepare(o: Options, tmp: string): Promise<{ storage: string; appsFile: string; certs: number }> {
  const cluster = clusterFor(o.apps, o.certs);
  const appsFile = join(tmp, 'apps.json');
  writeFileSync(appsFile, JSON.stringify({ apps: cluster.apps }));
  const storage = o.store ?? join(tmp, 'storage');
  const certsDir = join(storage, 'certs');
  const have = existsSync(certsDir) ? readdirSync(certsDir).filter((f) => f.endsWith('.pem')).length : 0;
  if (have !== cluster.specs.length) {
    if (o.store) rmSync(storage, { recursive: true, force: true });
    mkdirSync(storage, { recursive: true });
    const ms = await writeStore(storage, cluster.specs);
    console.log(`(generated ${cluster.specs.length} certificates in ${fmtMs(ms)})`);
  }
  rmSync(join(storage, 'state'), { recursive: true, force: true }); // a 0.6.1 volume: no state records
  return { storage, appsFile, certs: cluster.specs.length };
}

async function measureScrapes(d: Running): Promise<void> {
  const metrics = await scrape(d, '/metrics');
  await sleep(2000);
  line(
    'RSS after one /metrics scrape (peak / 2 s later)',
    `${metrics.peak.toFixed(0)} / ${rssMb(d.pid).toFixed(0)} MB`,
    '<= 100 MB',
  );
  line(
    '  one /metrics scrape',
    `${fmtMs(metrics.ms)} (daemon CPU ${fmtMs(metrics.cpu)}), ${(metrics.bytes / 1048576).toFixed(1)} MB`,
  );
  const status = await scrape(d, '/status');
  await sleep(2000);
  line(
    'RSS after one /status scrape (peak / 2 s later)',
    `${status.peak.toFixed(0)} / ${rssMb(d.pid).toFixed(0)} MB`,
    '<= 100 MB',
  );
  line(
    '  one /status scrape',
    `${fmtMs(status.ms)} (daemon CPU ${fmtMs(status.cpu)}), ${(status.bytes / 1048576).toFixed(1)} MB`,
  );
  resetPeak(d.pid);
  const metricsCpu: number[] = [];
  const statusCpu: number[] = [];
  for (let i = 0; i < 10; i++) {
    metricsCpu.push((await scrape(d, '/metrics')).cpu);
    statusCpu.push((await scrape(d, '/status')).cpu);
    await sleep(500);
  }
  await sleep(2000);
  line(
    'RSS over 10 more of each (peak / 2 s later)',
    `${peakMb(d.pid).toFixed(0)} / ${rssMb(d.pid).toFixed(0)} MB`,
    '<= 100 MB',
  );
  const mean = (xs: number[]): string => fmtMs(xs.reduce((a, b) => a + b, 0) / xs.length);
  line('  daemon CPU per /metrics scrape, mean of 10', mean(metricsCpu));
  line('  daemon CPU per /status scrape, mean of 10', mean(statusCpu));
}

/** Wait until idle; RSS, then CPU over `idle` seconds. */
async function steadyState(d: Running, idle: number): Promise<void> {
  line('  idle again after', fmtMs(await settle(d.pid)));
  await sleep(3000);
  line('steady RSS', `${rssMb(d.pid).toFixed(0)} MB`, '<= 100 MB');
  // Two windows: V8's memory reducer compacts the heap once, some seconds after the start-up's work,
  // and that lands in the first; the second is what an idle daemon costs from then on.
  const idleCpu = async (): Promise<number> => {
    const cpu0 = cpuSeconds(d.pid);
    await sleep(idle * 1000);
    return ((cpuSeconds(d.pid) - cpu0) / idle) * 100;
  };
  const first = await idleCpu();
  line(`idle CPU, first ${idle} s (start-up GC included)`, `${first.toFixed(2)} % of a core`);
  const second = await idleCpu();
  line(`idle CPU, the next ${idle} s`, `${second.toFixed(2)} % of a core`, '< 1 %');
  line('RSS after the idle period', `${rssMb(d.pid).toFixed(0)} MB`, '<= 100 MB');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '10000' },
      certs: { type: 'string', default: '5000' },
      idle: { type: 'string', default: '30' },
      'node-flags': { type: 'string', default: SHIPPED_NODE_FLAGS },
      'malloc-arena-max': { type: 'string', default: SHIPPED_MALLOC_ARENA_MAX },
      store: { type: 'string' },
      ca: { type: 'string', default: 'pebble' },
      'daemon-log': { type: 'string' },
      sync: { type: 'boolean', default: false },
    },
  });
  const o: Options = {
    apps: Number(values.apps),
    certs: Number(values.certs),
    idle: Number(values.idle),
    nodeFlags: values['node-flags'].split(' ').filter(Boolean),
    mallocArenaMax: values['malloc-arena-max'],
    ca: values.ca,
    ...(values.store ? { store: values.store } : {}),
    ...(values['daemon-log'] ? { daemonLog: values['daemon-log'] } : {}),
    sync: values.sync,
  };
  const tmp = makeTempDir('scale-bench-');
  const { storage, appsFile, certs } = await prepare(o, tmp);
  const marathon = await startSimulator(appsFile);
  const ca = await startCa(o.ca);
  const floors = [adoptionFloor(storage), adoptionFloor(storage), adoptionFloor(storage)];
  const floor = median(floors.map((f) => f.wall));
  const floorCpu = median(floors.map((f) => f.cpu));

  console.log(
    `\nscale: ${o.apps} apps, ${certs} certificates on disk, CA ${o.ca}; daemon node flags: ${o.nodeFlags.join(' ') || '(none)'}, MALLOC_ARENA_MAX=${o.mallocArenaMax || '(unset)'}${o.sync ? "; agents' feed on (--sync-listen)" : ''}`,
  );
  console.log(`load average before: ${loadavg()}`);
  const adoption = (label: string, t: Adoption): void => {
    line(
      label,
      `${fmtMs(t.fromStart)} from the first log line (${(t.fromStart / floor).toFixed(2)}x the floor); ${fmtMs(t.fromSpawn)} from spawn`,
      '<= 1.3x the floor',
    );
    line(
      '  CPU used by then (boot and first Marathon read included)',
      `${fmtMs(t.cpu)} (${(t.cpu / floorCpu).toFixed(2)}x the floor's CPU)`,
    );
  };
  line('adoption floor (1 key + 1 leaf parse per file)', `${fmtMs(floor)} wall, ${fmtMs(floorCpu)} CPU (median of 3)`);
  let d = await startDaemon(storage, marathon, ca, o.nodeFlags, o.mallocArenaMax, await syncArgs(o), o.daemonLog);
  adoption('adoption, first start (no state records)', await d.loaded);
  await steadyState(d, o.idle);
  await measureScrapes(d);
  await d.stop();

  d = await startDaemon(storage, marathon, ca, o.nodeFlags, o.mallocArenaMax, await syncArgs(o), o.daemonLog);
  adoption('adoption, restart (state records present)', await d.loaded);
  await settle(d.pid);
  line('steady RSS after the restart', `${rssMb(d.pid).toFixed(0)} MB`, '<= 100 MB');
  await d.stop();
  await ca.stop();
  console.log(`load average after: ${loadavg()}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
