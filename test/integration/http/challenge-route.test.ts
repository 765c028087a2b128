/**
 * The challenge route through a real HAProxy configured like marathon-lb's (path_beg
 * /.well-known/acme-challenge/ → the daemon): whatever arrives that way reaches only the challenge handler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FileStore } from '../../../src/store/index.js';
import { fakeApi } from '../../support/api-fakes.js';
import { startHaproxy } from '../../support/haproxy.js';
import { rawRequest, TRAVERSALS } from '../../support/http-raw.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dirs.js';

test('through HAProxy, traversal and encoded paths under the challenge route never reach another route', async (t) => {
  const logger = silentLogger();
  const dir = makeTempDir('challenge-route-');
  t.after(() => removeTempDir(dir));
  await new FileStore({ dir, logger }).init();
  const api = fakeApi();
  const server = new HttpServer(
    {
      challenge: async (tok) => (tok === 'tok' ? 'tok.thumb' : undefined),
      health: async () => ({ healthy: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: 'secret_metric 1\n' }),
      status: () => ({ certificates: ['a.example'] }),
      releaseRemovals: () => api.releaseRemovals(),
      api,
    },
    logger,
  );
  const addr = await server.listen(0, '127.0.0.1');
  t.after(() => server.close());
  const hap = await startHaproxy({ storageDir: dir, acmeBackend: `127.0.0.1:${addr.port}` });
  t.after(() => hap.stop());

  const ok = await rawRequest(hap.httpPort, '/.well-known/acme-challenge/tok');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'tok.thumb');
  assert.equal((await rawRequest(hap.httpPort, '/.well-known/acme-challenge/ping')).body, '{"message": "pong"}');
  for (const p of TRAVERSALS.filter((p) => p.startsWith('/.well-known/acme-challenge/'))) {
    const r = await rawRequest(hap.httpPort, p);
    // HAProxy may refuse a target itself (400); whatever it forwards, the daemon answers 404.
    assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, /certificates|a\.example|secret_metric|released/, p);
  }
  for (const p of [
    '/.well-known/acme-challenge/../removals/release',
    '/.well-known/acme-challenge/%2e%2e/api/v1/removals/release',
  ]) {
    const r = await rawRequest(hap.httpPort, p, { method: 'POST' });
    assert.notEqual(r.status, 200, p);
  }
  assert.deepEqual(api.calls, [], 'no action was reached');
});
