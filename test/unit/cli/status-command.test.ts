import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRenewCommand, runStatusCommand } from '../../../src/cli/status-command.js';
import { eventFacts, renderTable } from '../../../src/cli/status-render.js';
import { HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { hashToken, parseTokensFile } from '../../../src/lib/tokens.js';
import { fakeApi } from '../../support/api-fakes.js';
import { freePort } from '../../support/ports.js';

const WRITE = 'write-token-for-the-cli';
const FAILING = {
  name: 'bad.example',
  names: ['bad.example'],
  state: 'failing',
  serial: null,
  last_error: {
    code: 'ACME_VALIDATION_FAILED',
    type: 'urn:ietf:params:acme:error:connection',
    detail: 'Connection refused',
    at: '2026-12-02T10:00:00.000Z',
  },
  next_attempt: '2026-12-02T10:05:00.000Z',
  failures: 2,
  history: [
    {
      id: 3,
      type: 'requested',
      at: '2026-12-02T09:59:00.000Z',
      name: 'bad.example',
      kind: 'issue',
      reason: 'no certificate',
    },
    {
      id: 4,
      type: 'backoff',
      at: '2026-12-02T10:00:00.000Z',
      name: 'bad.example',
      detail: 'Connection refused',
      next_attempt: '2026-12-02T10:05:00.000Z',
    },
  ],
};
const VALID = {
  name: 'a.example',
  names: ['a.example'],
  state: 'valid',
  serial: '0a',
  not_after: '2027-03-01T00:00:00.000Z',
};

async function withServer(fn: (url: string) => Promise<void>) {
  const api = {
    ...fakeApi(),
    certificates: () => [VALID, FAILING],
    certificate: async (name: string) => [VALID, FAILING].find((c) => c.name === name),
  };
  const s = new HttpServer(
    {
      challenge: async () => undefined,
      health: async () => ({ healthy: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      status: () => ({}),
      releaseRemovals: () => [],
      api,
    },
    silentLogger(),
    { tokens: parseTokensFile(`ops write ${hashToken(WRITE)}`, 't'), readAuth: false },
  );
  const { port } = await s.listen(0, '127.0.0.1');
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    await s.close();
  }
}

async function run(cmd: typeof runStatusCommand, argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await cmd(argv, env, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('status prints the table with failing certificates first, exit 0', async () => {
  await withServer(async (url) => {
    const r = await run(runStatusCommand, ['--url', url]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+STATE\s+NOT AFTER\s+RENEW AT\s+NEXT ATTEMPT\s+LAST ERROR$/);
    assert.match(lines[1]!, /^bad\.example\s+failing .*connection: Connection refused$/);
    assert.match(lines[2]!, /^a\.example\s+valid\s+2027-03-01T00:00Z/);
  });
});

test('status NAME prints the chain and history; exit 1 for a failing certificate, 0 for a valid one', async () => {
  await withServer(async (url) => {
    const bad = await run(runStatusCommand, ['bad.example'], { MARATHON_ACME_URL: url });
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^Name: bad\.example\nNames: bad\.example\nState: failing\n/);
    assert.match(
      bad.out,
      /Last problem:\n {2}Type: urn:ietf:params:acme:error:connection\n {2}Detail: Connection refused/,
    );
    assert.match(bad.out, /Next attempt: 2026-12-02T10:05:00.000Z/);
    assert.match(bad.out, /History:\n {2}2026-12-02T09:59:00.000Z {2}requested {11}kind=issue reason=no certificate\n/);
    const ok = await run(runStatusCommand, ['--url', url, 'a.example']);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /Serial: 0a/);
    const none = await run(runStatusCommand, ['--url', url, 'none.example']);
    assert.equal(none.code, 1);
    assert.match(none.err, /HTTP 404/);
  });
});

test('renew NAME needs a write token: without one exit 1 with the reason, with one exit 0 and the event id', async () => {
  await withServer(async (url) => {
    const refused = await run(runRenewCommand, ['--url', url, 'a.example']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /HTTP 401/);
    const ok = await run(runRenewCommand, ['--url', url, 'a.example'], { MARATHON_ACME_API_TOKEN: WRITE });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^renewal of a\.example requested \(event \d+\)\n$/);
    assert.doesNotMatch(ok.out + ok.err, new RegExp(WRITE), 'the token is never printed');
  });
});

test('an unreachable server exits 1 saying so; usage errors exit 2', async () => {
  const port = await freePort();
  const r = await run(runStatusCommand, ['--url', `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  assert.equal((await run(runStatusCommand, ['--url', 'ftp://x'])).code, 2);
  assert.equal((await run(runStatusCommand, ['a', 'b'])).code, 2);
  assert.equal((await run(runStatusCommand, ['--bogus'])).code, 2);
  assert.equal((await run(runRenewCommand, [])).code, 2);
  assert.equal((await run(runRenewCommand, ['--help'])).code, 0);
});

test('rendering: an empty table, and the facts of an event', () => {
  assert.equal(renderTable([]), 'No certificates.\n');
  assert.equal(eventFacts({ type: 'installed', serial: '0a', reason: 'new\nline' }), 'reason=new line serial=0a');
});
