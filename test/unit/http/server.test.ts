import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../../../src/http/server.js';
import { evaluateHealth, type HealthFacts } from '../../../src/http/health.js';
import { silentLogger } from '../../../src/lib/logger.js';

async function withServer(fn: (base: string, released: string[][]) => Promise<void>, healthy = true) {
  const released: string[][] = [];
  const s = new HttpServer(
    {
      challenge: (t) => (t === 'tok_1-A' ? 'tok_1-A.thumb' : undefined),
      health: async () => ({ healthy, checks: { storage: { ok: healthy, detail: healthy ? 'writable' : 'EROFS' } } }),
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'marathon_acme_x 1\n' }),
      status: () => ({ certificates: [] }),
      releaseRemovals: () => {
        released.push(['a.example']);
        return ['a.example'];
      },
    },
    silentLogger(),
  );
  const addr = await s.listen(0, '127.0.0.1');
  try {
    await fn(`http://127.0.0.1:${addr.port}`, released);
  } finally {
    await s.close();
  }
}

test('challenge responder and ping follow 0.6.1 exactly', async () => {
  await withServer(async (base) => {
    const ping = await fetch(`${base}/.well-known/acme-challenge/ping`);
    assert.equal(ping.status, 200);
    assert.equal(ping.headers.get('content-type'), 'application/json');
    assert.equal(await ping.text(), '{"message": "pong"}');
    const ok = await fetch(`${base}/.well-known/acme-challenge/tok_1-A`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/plain');
    assert.equal(await ok.text(), 'tok_1-A.thumb');
    for (const p of [
      '/.well-known/acme-challenge/unknown',
      '/.well-known/acme-challenge/',
      '/.well-known/acme-challenge/..%2Fetc',
      '/nope',
    ]) {
      assert.equal((await fetch(base + p)).status, 404, p);
    }
    assert.equal((await fetch(`${base}/.well-known/acme-challenge/ping`, { method: 'POST' })).status, 405);
    const head = await fetch(`${base}/.well-known/acme-challenge/tok_1-A`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});

test('/health is 200 when healthy and 503 with the failing checks otherwise', async () => {
  await withServer(async (base) => {
    const r = await fetch(`${base}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok', checks: { storage: { ok: true, detail: 'writable' } } });
  });
  await withServer(async (base) => {
    const r = await fetch(`${base}/health`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { status: string }).status, 'unhealthy');
  }, false);
});

test('/metrics, /status and the removal release', async () => {
  await withServer(async (base, released) => {
    const m = await fetch(`${base}/metrics`);
    assert.match(await m.text(), /marathon_acme_x 1/);
    assert.deepEqual(await (await fetch(`${base}/status`)).json(), { certificates: [] });
    assert.equal((await fetch(`${base}/removals/release`)).status, 405, 'GET does not release');
    const rel = await fetch(`${base}/removals/release`, { method: 'POST' });
    assert.deepEqual(await rel.json(), { released: ['a.example'] });
    assert.equal(released.length, 1);
  });
});

test('evaluateHealth: thresholds and the start-up grace', () => {
  const base: HealthFacts = {
    now: 1_000_000,
    startedAt: 0,
    ca: { reachable: true },
    startupGraceMs: 120_000,
    marathon: { lastSnapshotAt: 990_000, stream: 'connected', maxAgeMs: 900_000 },
  };
  const cases: Array<[string, Partial<HealthFacts>, boolean, string?]> = [
    ['all good', {}, true],
    ['storage not writable', { storageError: 'EROFS' }, false, 'storage'],
    ['CA unreachable after start-up', { ca: { reachable: false, lastError: 'ECONNREFUSED' } }, false, 'ca'],
    ['CA unreachable while starting', { ca: { reachable: false }, startedAt: 950_000 }, true],
    [
      'snapshot stale',
      { marathon: { lastSnapshotAt: 1, stream: 'connected', maxAgeMs: 900_000 } },
      false,
      'marathon_snapshot',
    ],
    [
      'no snapshot yet while starting',
      { startedAt: 990_000, marathon: { stream: 'connecting', maxAgeMs: 900_000 } },
      true,
    ],
    [
      'no snapshot after start-up',
      { marathon: { stream: 'connecting', maxAgeMs: 900_000 } },
      false,
      'marathon_snapshot',
    ],
    [
      'stream disconnected',
      { marathon: { lastSnapshotAt: 990_000, stream: 'disconnected', maxAgeMs: 900_000 } },
      false,
      'event_stream',
    ],
    [
      'stream reconnecting is fine',
      { marathon: { lastSnapshotAt: 990_000, stream: 'connecting', maxAgeMs: 900_000 } },
      true,
    ],
  ];
  for (const [name, patch, healthy, failing] of cases) {
    const h = evaluateHealth({ ...base, ...patch });
    assert.equal(h.healthy, healthy, name);
    if (failing) assert.equal(h.checks[failing]?.ok, false, name);
  }
  assert.equal(
    evaluateHealth({ ...base, marathon: undefined }).checks.marathon_snapshot,
    undefined,
    'no Marathon, no Marathon checks',
  );
});
