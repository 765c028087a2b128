/**
 * A hostile Marathon against the real daemon (`dist/src/main.js`, a child process), with the simulator
 * in this process (issue 15 point 5, issue 9 latency):
 *
 *   npm run build && node dist/bench/hostile.js [--seconds 20] [--apps 1000]
 *
 * Prints:
 *  - peak RSS of the daemon (VmHWM) while every event stream is flooded with an event that never ends,
 *    then with a line that never ends (goal < 200 MB, no crash), and the bytes the flood pushed;
 *  - latency of the challenge responder (GET /.well-known/acme-challenge/<token>, a new connection
 *    each, one every 20 ms) while `/v2/apps` carries a 16 MB app definition and a 48 MB label and is
 *    re-listed every second (goal p99 <= 100 ms), beside the same probe with no re-list running;
 *  - app posted -> re-list started (the simulator sees GET /v2/apps), lone apps 1.5 s apart
 *    (goal median <= 0.2 s).
 * Figures only, no assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDaemon, type Daemon } from '../test/support/daemon.js';
import { generateCluster, startMarathonSimulator } from '../test/support/marathon-simulator/index.js';
import { freePort } from '../test/support/ports.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SIM_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'support', 'marathon-simulator', 'cli.js');

/**
 * The simulator as its own process (serialising a 64 MB `/v2/apps` must not stall the probes' event
 * loop, nor the daemon's).
 */
async function simulatorProcess(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SIM_CLI, '--port', '0', '--keepalive-ms', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { url, child };
}

/** PUT an app to the simulator (events follow, as from Marathon). */
function putApp(url: string, app: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const body = JSON.stringify(app);
    const req = http.request(`${url}/v2/apps${String(app['id'])}`, {
      method: 'PUT',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve());
    });
    req.once('error', () => resolve());
    req.end(body);
  });
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One GET on a new connection; its latency in ms (NaN on error). */
function probe(port: number, path: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(performance.now() - t0));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(Number.NaN));
  });
}

function quantile(xs: number[], q: number): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Probe the challenge path every `everyMs` for `ms`; returns the latencies. */
async function probeFor(port: number, ms: number, everyMs = 20): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + ms;
  for (let i = 0; performance.now() < end; i++) {
    const t0 = performance.now();
    out.push(await probe(port, `/.well-known/acme-challenge/bench-${i}`));
    await sleep(Math.max(0, everyMs - (performance.now() - t0)));
  }
  return out;
}

const fmt = (xs: number[]): string =>
  `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${quantile(xs, 1).toFixed(1)} ms (${xs.length} probes, ${xs.filter(Number.isNaN).length} failed)`;

async function startAgainst(sim: { url: string }): Promise<{ daemon: Daemon; port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-hostile-'));
  const port = await freePort();
  const deadCa = await freePort();
  const daemon = startDaemon([
    '--marathon',
    sim.url,
    '--lb',
    'none',
    '--acme',
    `http://127.0.0.1:${deadCa}/directory`,
    '--listen',
    `127.0.0.1:${port}`,
    '--log-level',
    'info',
    dir,
  ]);
  await daemon.waitForLog((l) => l.msg === 'marathon snapshot read', 60_000, 'the first snapshot');
  return { daemon, port, dir };
}

async function floodPhase(seconds: number): Promise<void> {
  for (const mode of ['endless-event', 'endless-line'] as const) {
    const sim = await startMarathonSimulator({ apps: generateCluster({ apps: 100 }), keepAliveMs: 0 });
    const { daemon, dir } = await startAgainst(sim);
    const before = procStatus(daemon.pid, 'VmRSS');
    sim.controls.flood(mode);
    let peak = 0;
    for (let t = 0; t < seconds * 10; t++) {
      await sleep(100);
      peak = Math.max(peak, procStatus(daemon.pid, 'VmRSS'));
    }
    const hwm = procStatus(daemon.pid, 'VmHWM');
    const up = alive(daemon.pid);
    const flooded = sim.controls.floodedBytes() / 1024 / 1024;
    const cut = daemon.logs.filter((l) => l.msg === 'event stream ended, reconnecting').length;
    sim.controls.flood(null);
    await daemon.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    console.log(
      `SSE flood (${mode.padEnd(13)}) ${seconds} s : peak RSS ${Math.max(peak, hwm).toFixed(0)} MB (goal < 200 MB; ${before.toFixed(0)} MB before), ${up ? 'alive' : 'CRASHED'}, ${flooded.toFixed(0)} MB sent, ${cut} streams cut`,
    );
  }
}

async function metric(port: number, name: string): Promise<number> {
  const body = await new Promise<string>((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
        });
        res.on('end', () => resolve(text));
      })
      .on('error', () => resolve(''));
  });
  const m = new RegExp(`^${name}\\{result="success"\\} ([0-9.e+-]+)$`, 'm').exec(body);
  return m ? Number(m[1]) : Number.NaN;
}

async function bigRelistPhase(seconds: number, apps: number): Promise<void> {
  const sim = await simulatorProcess([
    '--generate',
    String(apps),
    '--huge-app',
    '16777216:definition',
    '--huge-app',
    '50331648:label',
  ]);
  const { daemon, port, dir } = await startAgainst(sim);
  const quiet = await probeFor(port, 5000);
  const relistsBefore = await metric(port, 'marathon_acme_marathon_snapshot_duration_seconds_count');
  const sumBefore = await metric(port, 'marathon_acme_marathon_snapshot_duration_seconds_sum');
  let stop = false;
  const poker = (async () => {
    for (let i = 0; !stop; i++) {
      await putApp(sim.url, { id: '/poke', labels: { n: String(i) }, portDefinitions: [] });
      await sleep(1000);
    }
  })();
  const busy = await probeFor(port, seconds * 1000);
  stop = true;
  await poker;
  const relists = (await metric(port, 'marathon_acme_marathon_snapshot_duration_seconds_count')) - relistsBefore;
  const sum = (await metric(port, 'marathon_acme_marathon_snapshot_duration_seconds_sum')) - sumBefore;
  const hwm = procStatus(daemon.pid, 'VmHWM');
  const problems = daemon.logs.some((l) => l.msg === 'label problem' && l['code'] === 'APP_TOO_LARGE');
  await daemon.stop();
  sim.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  const mb = ((apps * 1.5) / 1024 + 64).toFixed(0);
  console.log(`challenge, no re-list running          : ${fmt(quiet)}`);
  console.log(`challenge, ~${mb} MB /v2/apps re-listed each 1 s: ${fmt(busy)}  (goal p99 <= 100 ms)`);
  console.log(
    `  ${relists} re-lists with a 16 MB app and a 48 MB label; mean re-list ${((sum / relists) * 1000).toFixed(0)} ms; daemon peak RSS ${hwm.toFixed(0)} MB; APP_TOO_LARGE reported: ${problems ? 'yes' : 'no'}`,
  );
}

async function latencyPhase(apps: number): Promise<void> {
  const sim = await startMarathonSimulator({ apps: generateCluster({ apps }), keepAliveMs: 0 });
  const { daemon, dir } = await startAgainst(sim);
  await sleep(1500);
  const lat: number[] = [];
  for (let i = 0; i < 10; i++) {
    const before = sim.controls.requests().length;
    const t0 = performance.timeOrigin + performance.now();
    sim.apps.add({
      id: `/lone-${i}`,
      labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: `lone-${i}.example.com` },
      portDefinitions: [{ port: 0 }],
    });
    let at: number | undefined;
    for (let k = 0; k < 500 && at === undefined; k++) {
      at = sim.controls
        .requests()
        .slice(before)
        .find((r) => r.path === '/v2/apps')?.at;
      if (at === undefined) await sleep(2);
    }
    lat.push(at === undefined ? Number.NaN : (at - t0) / 1000);
    await sleep(1500);
  }
  await daemon.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `app posted -> re-list started (${apps} apps, lone apps 1.5 s apart): min ${quantile(lat, 0).toFixed(3)} s, median ${quantile(lat, 0.5).toFixed(3)} s, max ${quantile(lat, 1).toFixed(3)} s  (goal median <= 0.2 s)`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '20' }, apps: { type: 'string', default: '1000' } },
  });
  const seconds = Number(values.seconds);
  const apps = Number(values.apps);
  console.log('Hostile Marathon benchmark: the daemon as a child process, the simulator in this one');
  await floodPhase(seconds);
  await bigRelistPhase(seconds, apps);
  await latencyPhase(apps);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
