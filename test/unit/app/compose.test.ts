import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStore, compose } from '../../../src/app/compose.js';
import { parseCli } from '../../../src/cli/parse.js';
import type { Config } from '../../../src/config/config.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import { VERSION } from '../../../src/version.js';

function configOf(argv: string[]): Config {
  const r = parseCli(argv, {});
  assert.equal(r.kind, 'run');
  return (r as Extract<typeof r, { kind: 'run' }>).config;
}

async function composed(t: { after: (fn: () => Promise<void>) => void }, argv: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'compose-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = configOf([...argv, '--acme', 'http://127.0.0.1:9/dir', dir]);
  const logger = silentLogger();
  const store = buildStore(config, logger);
  await store.init();
  const app = compose(config, logger, createMetrics({ defaultMetrics: false }), store, Date.now());
  const addr = await app.http.listen(0, '127.0.0.1');
  t.after(async () => {
    await app.http.close();
    await app.notifier.stop();
  });
  return { app, base: `http://127.0.0.1:${addr.port}` };
}

test('compose: the sources and the notifier the configuration asks for', async (t) => {
  const { app } = await composed(t, ['--marathon', 'none', '--lb', 'none', '--domains', 'a.example']);
  assert.deepEqual(
    app.sources.map((s) => s.name),
    ['static', 'api'],
  );
  assert.equal(app.notifier.name, 'none');
  const both = await composed(t, ['--domains', 'a.example']);
  assert.deepEqual(
    both.app.sources.map((s) => s.name),
    ['marathon', 'static', 'api'],
  );
  assert.equal(both.app.notifier.name, 'marathon-lb');
});

test('compose: the HTTP handlers answer from the parts (/status, /health, challenges, /metrics)', async (t) => {
  const { base } = await composed(t, ['--marathon', 'none', '--lb', 'none']);
  const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
  assert.equal(status.version, VERSION);
  assert.deepEqual(status.sources, { api: {} }, 'the API domains source: no snapshot before it runs');
  assert.equal((status.ca as { directoryUrl: string }).directoryUrl, 'http://127.0.0.1:9/dir');
  const health = await fetch(`${base}/health`);
  const body = (await health.json()) as {
    status: string;
    checks: Record<string, { ok: boolean; detail: string; starting?: boolean }>;
  };
  assert.deepEqual(body.checks.storage, { ok: true, detail: 'writable' });
  // Not ok: it was never reached. But within the start-up grace it is `starting`, not a failure.
  assert.equal(health.status, 200);
  assert.equal(body.status, 'starting');
  assert.equal(body.checks.ca?.ok, false, 'a CA never reached is not ok');
  assert.equal(body.checks.ca?.starting, true);
  assert.match(body.checks.ca?.detail ?? '', /^starting: ACME server not reached yet/);
  assert.equal(body.checks.marathon_snapshot, undefined, 'no Marathon, no Marathon checks');
  assert.equal((await fetch(`${base}/.well-known/acme-challenge/unknown-token`)).status, 404);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /marathon_acme_/);
});
