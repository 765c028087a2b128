import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/lib/logger.js';

async function withServer(fn: (base: string, released: string[][]) => Promise<void>, healthy = true) {
  const released: string[][] = [];
  const s = new HttpServer(
    {
      challenge: async (t) => (t === 'tok_1-A' ? 'tok_1-A.thumb' : undefined),
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
    assert.equal(ping.headers.get('content-length'), '19');
    assert.equal(ping.headers.get('cache-control'), 'no-store');
    const ok = await fetch(`${base}/.well-known/acme-challenge/tok_1-A`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/plain');
    assert.equal(ok.headers.get('content-length'), '13');
    assert.equal(ok.headers.get('cache-control'), 'no-store');
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
