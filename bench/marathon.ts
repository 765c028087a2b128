/**
 * Marathon source benchmark: the simulator (a separate process) serves 10,000 apps, 5,000 of them with
 * ACME labels, mixing every networking shape.
 *
 *   npm run build && node dist/bench/marathon.js [--apps 10000] [--acme 5000] [--runs 10]
 *
 * Prints, from one run:
 *  - the payload size;
 *  - the floor: a bare `JSON.parse` of the same `/v2/apps` payload (already in memory), median;
 *  - fetch + translate: what `MarathonSource` does per re-list — `MarathonClient.streamApps()` over
 *    HTTP feeding `SnapshotBuilder` app by app — median; and the translate step alone on parsed apps;
 *  - the ratio fetch+translate / floor (target < 2x);
 *  - peak RSS of fresh child processes (`--rss-child`): one re-list; `runs` re-lists 1 s apart (the
 *    source never re-lists faster: minSyncIntervalMs); `runs` re-lists back to back (worst case);
 *    beside the RSS before the first fetch (Node + modules). Target < 128 MB.
 * Figures only, no assertions.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { MarathonClient } from '../src/sources/marathon/client.js';
import { appsToSnapshot, SnapshotBuilder, type LabelOptions } from '../src/sources/marathon/translate.js';
import { silentLogger } from '../src/lib/logger.js';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const SIM_CLI = join(here, '..', 'test', 'support', 'marathon-simulator', 'cli.js');
const LABEL_OPTS: LabelOptions = { group: 'external', allowMultipleCerts: false, san: false };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function startSimulator(apps: number, acme: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [SIM_CLI, '--port', '0', '--generate', `${apps}:${acme}`, '--keepalive-ms', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
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

function rawGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/v2/apps`, { headers: { Accept: 'application/json' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** What MarathonSource does per re-list: stream the body, translate each app as it arrives. */
async function fetchAndTranslate(client: MarathonClient): Promise<{ certs: number }> {
  const builder = new SnapshotBuilder(LABEL_OPTS);
  await client.streamApps((app) => builder.addApp(app), undefined);
  return { certs: builder.build().specs.length };
}

/** Child mode: RSS of a process that only fetches and translates. */
async function rssChild(url: string, runs: number, gapMs: number): Promise<void> {
  const client = new MarathonClient({ urls: url, logger: silentLogger() });
  const baselineMb = process.memoryUsage().rss / 1024 / 1024;
  let certs = 0;
  for (let i = 0; i < runs; i++) {
    certs = (await fetchAndTranslate(client)).certs;
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  console.log(JSON.stringify({ baselineMb, peakMb: process.resourceUsage().maxRSS / 1024, certs }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '10000' },
      acme: { type: 'string', default: '5000' },
      runs: { type: 'string', default: '10' },
      'rss-child': { type: 'string' },
      'gap-ms': { type: 'string', default: '0' },
    },
  });
  const runs = Number(values.runs);
  if (values['rss-child'] !== undefined) return rssChild(values['rss-child'], runs, Number(values['gap-ms']));

  const sim = await startSimulator(Number(values.apps), Number(values.acme));
  try {
    const client = new MarathonClient({ urls: sim.url, logger: silentLogger() });
    const payload = await rawGet(sim.url);
    const parsedCount = (JSON.parse(payload) as { apps: unknown[] }).apps.length;

    // Warm up both paths (JIT, simulator's cached body).
    for (let i = 0; i < 2; i++) {
      JSON.parse(payload);
      await fetchAndTranslate(client);
    }
    const floor: number[] = [];
    const total: number[] = [];
    const translate: number[] = [];
    let certs = 0;
    for (let i = 0; i < runs; i++) {
      // Interleaved, so machine load affects both alike.
      let t = process.hrtime.bigint();
      JSON.parse(payload);
      floor.push(ms(t));
      t = process.hrtime.bigint();
      const r = await fetchAndTranslate(client);
      total.push(ms(t));
      certs = r.certs;
    }
    // The translate step alone, on apps already in memory (separately: it holds the parsed list).
    const apps = (JSON.parse(payload) as { apps: unknown[] }).apps;
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      appsToSnapshot(apps, LABEL_OPTS);
      translate.push(ms(t));
    }
    const rssOf = async (gapMs: number): Promise<{ baselineMb: number; peakMb: number }> => {
      const out = await execFileAsync(process.execPath, [
        fileURLToPath(import.meta.url),
        '--rss-child',
        sim.url,
        '--runs',
        String(runs),
        '--gap-ms',
        String(gapMs),
      ]);
      return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { baselineMb: number; peakMb: number };
    };
    const one = await execFileAsync(process.execPath, [
      fileURLToPath(import.meta.url),
      '--rss-child',
      sim.url,
      '--runs',
      '1',
    ]);
    const single = JSON.parse(one.stdout.trim().split('\n').at(-1)!) as { baselineMb: number; peakMb: number };
    const paced = await rssOf(1000);
    const mem = await rssOf(0);

    const f = median(floor);
    const tt = median(total);
    console.log(
      `Marathon benchmark: simulator process serving ${parsedCount} apps (${values.acme} with ACME labels), ${runs} runs, medians`,
    );
    console.log(`payload /v2/apps                   : ${(payload.length / 1024 / 1024).toFixed(1)} MB`);
    console.log(`floor: JSON.parse of the payload   : ${f.toFixed(1)} ms`);
    console.log(`fetch + translate (HTTP, streamed) : ${tt.toFixed(1)} ms  (${certs} certificates)`);
    console.log(`translate alone (appsToSnapshot)   : ${median(translate).toFixed(1)} ms  (apps already parsed)`);
    console.log(`ratio fetch+translate / floor      : ${(tt / f).toFixed(2)}x   [goal: < 2x the floor]`);
    console.log(
      `peak RSS, one re-list              : ${single.peakMb.toFixed(0)} MB   (${single.baselineMb.toFixed(0)} MB before the first fetch)   [goal: < 128 MB]`,
    );
    console.log(
      `peak RSS, ${runs} re-lists 1 s apart    : ${paced.peakMb.toFixed(0)} MB   (the source's fastest pace: minSyncIntervalMs 1000)`,
    );
    console.log(
      `peak RSS, ${runs} re-lists back to back : ${mem.peakMb.toFixed(0)} MB   (worst case; V8's young generation grows with the allocation rate)`,
    );
  } finally {
    sim.child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
