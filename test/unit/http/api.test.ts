import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { hashToken, parseTokensFile, type TokenEntry } from '../../../src/lib/tokens.js';
import { type FakeApi, fakeApi } from '../../support/api-fakes.js';
import { rawRequest, TRAVERSALS } from '../../support/http-raw.js';

const T = {
  read: 'read-tok-0123456789',
  write: 'write-tok-0123456789',
  admin: 'admin-tok-0123456789',
  sync: 'sync-tok-0123456789',
};
const TOKENS = parseTokensFile(
  Object.entries(T)
    .map(([scope, tok]) => `${scope}-user ${scope} ${hashToken(tok)}`)
    .join('\n'),
  'tokens',
);

async function withApi(
  fn: (base: string, api: FakeApi, server: HttpServer, port: number) => Promise<void>,
  auth: { tokens: readonly TokenEntry[]; readAuth: boolean } = { tokens: TOKENS, readAuth: false },
): Promise<void> {
  const api = fakeApi();
  const server = new HttpServer(
    {
      challenge: async (t) => (t === 'tok' ? 'tok.thumb' : undefined),
      health: async () => ({ healthy: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      status: () => ({ certificates: [] }),
      releaseRemovals: () => api.releaseRemovals(),
      api,
    },
    silentLogger(),
    auth,
  );
  const addr = await server.listen(0, '127.0.0.1');
  try {
    await fn(`http://127.0.0.1:${addr.port}`, api, server, addr.port);
  } finally {
    await server.close();
  }
}

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
const jsonBody = (v: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(v) });

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly ok: number;
}

const WRITES: Record<'write' | 'admin', readonly Call[]> = {
  write: [
    { method: 'POST', path: '/api/v1/certificates/a.example/renew', ok: 202 },
    { method: 'PUT', path: '/api/v1/domains/x.example', body: { names: ['x.example'] }, ok: 201 },
    { method: 'DELETE', path: '/api/v1/domains/a.example', ok: 200 },
    { method: 'POST', path: '/api/v1/removals/release', ok: 200 },
    { method: 'POST', path: '/removals/release', ok: 200 },
  ],
  admin: [
    { method: 'POST', path: '/api/v1/certificates/a.example/revoke', body: { reason: 'keyCompromise' }, ok: 202 },
  ],
};
const READS = ['/api/v1/certificates', '/api/v1/certificates/a.example', '/api/v1/problems', '/api/v1/openapi.json'];

async function call(base: string, c: Call, token?: string): Promise<Response> {
  const body =
    c.body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) };
  return fetch(base + c.path, {
    method: c.method,
    ...body,
    headers: { ...(body.headers ?? {}), ...(token ? bearer(token) : {}) },
  });
}

for (const [scope, calls] of Object.entries(WRITES) as ['write' | 'admin', readonly Call[]][]) {
  for (const c of calls) {
    test(`${c.method} ${c.path}: no token 401, bad token 401, wrong scope 403, ${scope} token ${c.ok}`, async () => {
      await withApi(async (base, api) => {
        const none = await call(base, c);
        assert.equal(none.status, 401);
        assert.equal(none.headers.get('www-authenticate'), 'Bearer');
        assert.equal((await call(base, c, 'not-a-known-token')).status, 401);
        const wrong = scope === 'admin' ? T.write : T.read;
        const refused = await call(base, c, wrong);
        assert.equal(refused.status, 403);
        assert.match(((await refused.json()) as { error: string }).error, /lacks the/);
        assert.equal((await call(base, c, T.sync)).status, 403, 'sync grants nothing else');
        assert.deepEqual(api.calls, [], 'nothing acted on a refused request');
        const ok = await call(base, c, T[scope]);
        assert.equal(ok.status, c.ok, await ok.clone().text());
        assert.equal(api.calls.length, 1);
        if (scope === 'write') assert.equal((await call(base, c, T.admin)).status, c.ok, 'admin includes write');
      });
    });
  }
}

test('without a tokens file every state-changing route answers 403 saying how to configure tokens', async () => {
  await withApi(
    async (base, api) => {
      for (const c of [...WRITES.write, ...WRITES.admin]) {
        const r = await call(base, c, T.admin);
        assert.equal(r.status, 403, c.path);
        assert.match(((await r.json()) as { error: string }).error, /token create/);
      }
      assert.deepEqual(api.calls, []);
    },
    { tokens: [], readAuth: false },
  );
});

test('reads are open by default; with --api-read-auth: no token 401, bad 401, sync-only 403, read 200', async () => {
  await withApi(async (base) => {
    for (const p of READS) assert.equal((await fetch(base + p)).status, 200, p);
  });
  await withApi(
    async (base) => {
      for (const p of READS) {
        assert.equal((await fetch(base + p)).status, 401, p);
        assert.equal((await fetch(base + p, { headers: bearer('nope') })).status, 401, p);
        assert.equal((await fetch(base + p, { headers: bearer(T.sync) })).status, 403, p);
        assert.equal((await fetch(base + p, { headers: bearer(T.read) })).status, 200, p);
      }
    },
    { tokens: TOKENS, readAuth: true },
  );
});

test('certificates, one certificate with its history, problems; unknown names 404', async () => {
  await withApi(async (base) => {
    const list = (await (await fetch(`${base}/api/v1/certificates`)).json()) as { name: string }[];
    assert.deepEqual(
      list.map((c) => c.name),
      ['a.example'],
    );
    const one = (await (await fetch(`${base}/api/v1/certificates/a.example`)).json()) as { history: unknown[] };
    assert.deepEqual(one.history, []);
    assert.equal((await fetch(`${base}/api/v1/certificates/b.example`)).status, 404);
    const renew = await call(base, { method: 'POST', path: '/api/v1/certificates/b.example/renew', ok: 404 }, T.write);
    assert.equal(renew.status, 404);
    const problems = (await (await fetch(`${base}/api/v1/problems`)).json()) as unknown[];
    assert.equal(problems.length, 1);
  });
});

test('bad bodies answer 4xx, never 500, and the server keeps serving', async () => {
  await withApi(async (base, api, _s, port) => {
    const revoke = `${base}/api/v1/certificates/a.example/revoke`;
    const domain = `${base}/api/v1/domains/x.example`;
    const cases: [string, string, RequestInit, number][] = [
      [
        'bad JSON',
        revoke,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":' },
        400,
      ],
      ['no body', revoke, { method: 'POST' }, 400],
      ['reason of the wrong type', revoke, { method: 'POST', ...split(jsonBody({ reason: 5 })) }, 400],
      ['unknown reason', revoke, { method: 'POST', ...split(jsonBody({ reason: 'because' })) }, 400],
      ['names not a list', domain, { method: 'PUT', ...split(jsonBody({ names: 'x.example' })) }, 400],
      ['names empty', domain, { method: 'PUT', ...split(jsonBody({ names: [] })) }, 400],
      ['names of numbers', domain, { method: 'PUT', ...split(jsonBody({ names: [1] })) }, 400],
      ['a JSON array', domain, { method: 'PUT', ...split(jsonBody([1, 2])) }, 400],
      [
        '__proto__ pollution',
        domain,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{"names":["x.example"],"__proto__":{"x":1}}',
        },
        400,
      ],
      [
        'text/plain (a cross-origin form)',
        domain,
        { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'names=x' },
        415,
      ],
      ['a 1 MiB body', domain, { method: 'PUT', ...split(jsonBody({ names: ['x'.repeat(1 << 20)] })) }, 413],
    ];
    for (const [what, url, init, status] of cases) {
      const r = await fetch(url, { ...init, headers: { ...(init.headers as object), ...bearer(T.admin) } });
      assert.equal(r.status, status, what);
      assert.equal(typeof ((await r.json()) as { error: string }).error, 'string', what);
    }
    const huge = await rawRequest(port, '/api/v1/domains/x.example', {
      method: 'PUT',
      headers: { ...bearer(T.write), 'content-type': 'application/json', 'content-length': String(1 << 30) },
    });
    assert.equal(huge.status, 413, 'a declared 1 GiB body is refused before it is read');
    assert.deepEqual(api.calls, []);
    assert.equal((await fetch(`${base}/.well-known/acme-challenge/tok`)).status, 200);
  });
});

function split(b: { 'content-type': string; body: string }): RequestInit {
  return { headers: { 'content-type': b['content-type'] }, body: b.body };
}

test('paths are matched exactly: traversal, %2e%2e, // and encoded slashes all answer 404', async () => {
  await withApi(
    async (_base, _api, _s, port) => {
      for (const p of TRAVERSALS) {
        const r = await rawRequest(port, p);
        assert.equal(r.status, 404, p);
        assert.doesNotMatch(r.body, /certificates|a\.example/, p);
      }
      assert.equal((await rawRequest(port, '/.well-known/acme-challenge/tok')).body, 'tok.thumb');
      assert.equal((await rawRequest(port, '/api/v1/certificates')).status, 200);
    },
    { tokens: TOKENS, readAuth: false },
  );
});

test('the OpenAPI document lists exactly the /api/v1 routes the server has', async () => {
  await withApi(async (base, _api, server) => {
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.match(doc.openapi, /^3\./);
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const served = server
      .routes()
      .filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD' && r.url !== '/api/v1/openapi.json')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    assert.deepEqual(documented, served);
    assert.ok(documented.includes('POST /api/v1/certificates/{name}/revoke'));
  });
});

test('GET /api/v1/events streams lifecycle events as Server-Sent Events', async () => {
  await withApi(async (_base, api, _s, port) => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/api/v1/events' }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], 'text/event-stream');
        let got = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          got += d;
          if (got.includes('\n\n') && !got.includes('renew_requested')) {
            api.push({ id: 7, type: 'installed', name: 'b.example' });
            api.push({ id: 8, type: 'renew_requested', name: 'a.example' });
          }
          if (got.includes('"id":8')) {
            req.destroy();
            resolve(got);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.match(text, /id: 7\nevent: installed\ndata: \{"id":7,"type":"installed","name":"b.example"\}\n\n/);
    assert.match(text, /id: 8\nevent: renew_requested\n/);
  });
});
