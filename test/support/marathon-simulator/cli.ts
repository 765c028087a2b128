#!/usr/bin/env node
/**
 * Run the Marathon simulator as a process (demo, benchmarks):
 *
 *   node dist/test/support/marathon-simulator/cli.js --port 8080 [--host 127.0.0.1]
 *        [--apps file.json] [--generate 10000[:5000]] [--auth user:pass] [--token T]
 *        [--keepalive-ms 10000] [--standby-of http://leader:8080]
 *        [--flood endless-event|endless-line] [--huge-app BYTES[:label|definition]]... [--drip-ms MS]
 *
 * The last three play a hostile Marathon (hostile.ts): flood every event stream, add apps of about
 * BYTES bytes (`/huge-0`, `/huge-1`, ...; each with an ACME label), serve every `/v2/apps` one byte per
 * MS milliseconds.
 * `--apps` takes `{"apps": [...]}` (a saved `/v2/apps` answer) or a bare list. Prints one line
 * `marathon simulator listening on <url>` when ready; stops on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateCluster, type MarathonSimulator, startMarathonSimulator, type SimulatorOptions } from './index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      apps: { type: 'string' },
      generate: { type: 'string' },
      auth: { type: 'string' },
      token: { type: 'string' },
      'keepalive-ms': { type: 'string' },
      'standby-of': { type: 'string' },
      flood: { type: 'string' },
      'huge-app': { type: 'string', multiple: true },
      'drip-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: cli.js --port 8080 [--host H] [--apps file.json] [--generate N[:ACME]] [--auth user:pass] [--token T] [--keepalive-ms MS] [--standby-of URL] [--flood endless-event|endless-line] [--huge-app BYTES[:label|definition]]... [--drip-ms MS]\n',
    );
    return;
  }
  let apps: unknown[] = [];
  if (values.apps !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(values.apps, 'utf8'));
    apps = Array.isArray(parsed) ? parsed : ((parsed as { apps?: unknown[] }).apps ?? []);
  }
  if (values.generate !== undefined) {
    const [n, acme] = values.generate.split(':').map((s) => Number(s));
    apps = apps.concat(generateCluster({ apps: n ?? 10_000, ...(acme !== undefined ? { acmeApps: acme } : {}) }));
  }
  let basicAuth: SimulatorOptions['basicAuth'];
  if (values.auth !== undefined) {
    const i = values.auth.indexOf(':');
    if (i < 0) throw new Error(`--auth needs user:pass (no ':' in the value)`);
    basicAuth = { username: values.auth.slice(0, i), password: values.auth.slice(i + 1) };
  }
  const sim = await startMarathonSimulator({
    port: Number(values.port),
    host: values.host,
    apps,
    ...(basicAuth ? { basicAuth } : {}),
    ...(values.token !== undefined ? { token: values.token } : {}),
    ...(values['keepalive-ms'] !== undefined ? { keepAliveMs: Number(values['keepalive-ms']) } : {}),
    ...(values['standby-of'] !== undefined ? { standbyOf: values['standby-of'] } : {}),
  });
  hostile(sim, values);
  process.stdout.write(`marathon simulator listening on ${sim.url} (${apps.length} apps)\n`);
  const stop = (): void => {
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The hostile controls asked for on the command line. */
function hostile(sim: MarathonSimulator, v: { flood?: string; 'huge-app'?: string[]; 'drip-ms'?: string }): void {
  if (v.flood !== undefined) {
    if (v.flood !== 'endless-event' && v.flood !== 'endless-line') throw new Error(`--flood: unknown mode ${v.flood}`);
    sim.controls.flood(v.flood);
  }
  for (const [i, spec] of (v['huge-app'] ?? []).entries()) {
    const [bytes, where = 'definition'] = spec.split(':');
    if (where !== 'label' && where !== 'definition') throw new Error(`--huge-app: unknown place ${where}`);
    sim.controls.addHugeApp(`/huge-${i}`, Number(bytes), where, `huge-${i}.example.com`);
  }
  if (v['drip-ms'] !== undefined) sim.controls.drip(Number(v['drip-ms']));
}

main().catch((err: unknown) => {
  process.stderr.write(`marathon simulator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
