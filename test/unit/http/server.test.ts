import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { hashToken, parseTokensFile } from '../../../src/lib/tokens.js';

const READ = 'read-token-0123456789';
const WRITE = 'write-token-0123456789';
const TOKENS = parseTokensFile(`r read ${hashToken(READ)}\nw write ${hashToken(WRITE)}`, 'tokens');

async function withServer(
  fn: (base: string, released: string[][]) => Promise<void>,
  healthy = true,
  auth = { tokens: TOKENS, readAuth: false },
) {
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
    auth,
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
    const rel = await fetch(`${base}/removals/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE}` },
    });
    assert.deepEqual(await rel.json(), { released: ['a.example'] });
    assert.equal(released.length, 1);
  });
});

test('the removal release needs a write token: none ⇒ 401, a read token ⇒ 403, a cross-origin form post ⇒ 401', async () => {
  await withServer(async (base, released) => {
    const none = await fetch(`${base}/removals/release`, { method: 'POST' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const bad = await fetch(`${base}/removals/release`, { method: 'POST', headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    const read = await fetch(`${base}/removals/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ}` },
    });
    assert.equal(read.status, 403);
    const form = await fetch(`${base}/removals/release`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(form.status, 401);
    assert.equal(released.length, 0, 'nothing released');
  });
});

test('without a tokens file the removal release answers 403 saying how to configure tokens', async () => {
  await withServer(
    async (base, released) => {
      const r = await fetch(`${base}/removals/release`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WRITE}` },
      });
      assert.equal(r.status, 403);
      assert.match(((await r.json()) as { error: string }).error, /--api-tokens-file/);
      assert.equal(released.length, 0);
    },
    true,
    { tokens: [], readAuth: false },
  );
});

test('with read auth, /status needs a read token; the challenge, /health and /metrics stay open', async () => {
  await withServer(
    async (base) => {
      assert.equal((await fetch(`${base}/status`)).status, 401);
      assert.equal((await fetch(`${base}/status`, { headers: { authorization: `Bearer ${READ}` } })).status, 200);
      assert.equal((await fetch(`${base}/status`, { headers: { authorization: `Bearer ${WRITE}` } })).status, 200);
      assert.equal((await fetch(`${base}/.well-known/acme-challenge/tok_1-A`)).status, 200);
      assert.equal((await fetch(`${base}/health`)).status, 200);
      assert.equal((await fetch(`${base}/metrics`)).status, 200);
    },
    true,
    { tokens: TOKENS, readAuth: true },
  );
});

test('/status in chunks: each written as it is built, chunked; HEAD builds nothing; /metrics in parts has its length', async () => {
  let built = 0;
  const s = new HttpServer(
    {
      challenge: async () => undefined,
      health: async () => ({ healthy: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: ['a 1\n', 'b é\n'] }),
      status: () => ({ certificates: [] }),
      statusJson: function* () {
        for (const c of ['{"certificates":[', '{"name":"é.example"}', ']}']) {
          built += 1;
          yield c;
        }
      },
      releaseRemovals: () => [],
    },
    silentLogger(),
    { tokens: TOKENS, readAuth: false },
  );
  const addr = await s.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${addr.port}`;
  try {
    const r = await fetch(`${base}/status`);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    assert.deepEqual(await r.json(), { certificates: [{ name: 'é.example' }] });
    assert.equal(built, 3);
    const head = await fetch(`${base}/status`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal(built, 3, 'HEAD builds no chunk');
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.headers.get('content-length'), String(Buffer.byteLength('a 1\nb é\n')));
    assert.equal(await m.text(), 'a 1\nb é\n');
  } finally {
    await s.close();
  }
});

test('/status in chunks: a failure before the first chunk is a 500; a later one cuts the response off, never a body that looks whole', async (t) => {
  const cases: Array<[string, () => Generator<string>, 'status-500' | 'cut']> = [
    [
      'throws at once',
      function* () {
        yield* [];
        throw new RangeError('Invalid time value');
      },
      'status-500',
    ],
    [
      'throws after a chunk',
      function* () {
        yield '{"certificates":[';
        throw new RangeError('Invalid time value');
      },
      'cut',
    ],
  ];
  for (const [name, gen, want] of cases) {
    await t.test(name, async () => {
      const s = new HttpServer(
        {
          challenge: async () => undefined,
          health: async () => ({ healthy: true, checks: {} }),
          metrics: async () => ({ contentType: 'text/plain', body: '' }),
          status: () => ({}),
          statusJson: gen,
          releaseRemovals: () => [],
        },
        silentLogger(),
        { tokens: TOKENS, readAuth: false },
      );
      const addr = await s.listen(0, '127.0.0.1');
      try {
        const get = () => fetch(`http://127.0.0.1:${addr.port}/status`, { signal: AbortSignal.timeout(5000) });
        if (want === 'status-500') {
          const r = await get();
          assert.equal(r.status, 500);
          await r.arrayBuffer();
        } else {
          // The connection is cut as soon as the failure happens: before or while the body is read.
          await assert.rejects(
            (async () => (await get()).text())(),
            (err: Error) => err.name !== 'TimeoutError',
            'an error at once, not a body that looks whole and not after the idle timeout',
          );
        }
        // The server still answers.
        assert.equal((await fetch(`http://127.0.0.1:${addr.port}/health`)).status, 200);
      } finally {
        await s.close();
      }
    });
  }
});
