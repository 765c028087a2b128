/** The status page mounted on the daemon's HTTP server, over real HTTP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../../../../src/http/server.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { hashToken, parseTokensFile } from '../../../../src/lib/tokens.js';

const READ = 'read-token-0123456789';
const TOKENS = parseTokensFile(`r read ${hashToken(READ)}`, 'tokens');
const STATUS = {
  version: '9.9.9',
  certificates: [{ name: 'web.test', names: ['web.test'], state: 'valid', requestedBy: [{ appId: '/web' }] }],
};

async function withServer(readAuth: boolean, fn: (base: string) => Promise<void>): Promise<void> {
  const s = new HttpServer(
    {
      challenge: async () => undefined,
      health: async () => ({ healthy: true, checks: { storage: { ok: true, detail: 'writable' } } }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      status: () => STATUS,
      releaseRemovals: () => [],
    },
    silentLogger(),
    { tokens: TOKENS, readAuth },
  );
  const addr = await s.listen(0, '127.0.0.1');
  try {
    await fn(`http://127.0.0.1:${addr.port}`);
  } finally {
    await s.close();
  }
}

test('GET / and /ui redirect to /ui/; the page and a certificate page are HTML under a strict CSP', async () => {
  await withServer(false, async (base) => {
    for (const path of ['/', '/ui']) {
      const r = await fetch(`${base}${path}`, { redirect: 'manual' });
      assert.equal(r.status, 302, path);
      assert.equal(r.headers.get('location'), '/ui/', path);
    }
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'nonce-/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const body = await page.text();
    assert.match(body, /web\.test/);
    assert.match(body, /version 9\.9\.9/);
    assert.match(body, /writable/, 'health checks shown');
    const cert = await fetch(`${base}/ui/cert/web.test?fragment=main`);
    assert.equal(cert.status, 200);
    assert.match(await cert.text(), /class="chain"/);
    const first = await fetch(`${base}/ui/?fragment=main`);
    const etag = first.headers.get('etag');
    assert.ok(etag, 'a fragment carries an ETag');
    assert.match(await first.text(), /web\.test/);
    const again = await fetch(`${base}/ui/?fragment=main`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, 'an unchanged fragment is not sent again');
    assert.equal(await again.text(), '');
    const stale = await fetch(`${base}/ui/?fragment=main`, { headers: { 'If-None-Match': '"other"' } });
    assert.equal(stale.status, 200);
    const head = await fetch(`${base}/ui/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});

test('the page answers only GET/HEAD; paths that are not the page stay 404', async () => {
  await withServer(false, async (base) => {
    assert.equal((await fetch(`${base}/ui/`, { method: 'POST' })).status, 405);
    for (const path of ['/ui/cert/a%2Fb', '/ui/cert/x/y', '/ui/other', '/index.html'])
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    assert.equal((await fetch(`${base}/ui/cert/nope.test`)).status, 404);
  });
});

test('with --api-read-auth the page loads without data and its data needs a read token', async () => {
  await withServer(true, async (base) => {
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    const body = await page.text();
    assert.ok(!body.includes('web.test'), 'no certificate data without a token');
    assert.equal((await fetch(`${base}/ui/?fragment=main`)).status, 401);
    const ok = await fetch(`${base}/ui/?fragment=main`, { headers: { Authorization: `Bearer ${READ}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /web\.test/);
  });
});
