import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { DEFAULT_LIMITS, HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { rawRequest } from '../../support/http-raw.js';

function server(limits = DEFAULT_LIMITS): HttpServer {
  return new HttpServer(
    {
      challenge: async () => 'x',
      health: async () => ({ healthy: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      status: () => ({}),
      releaseRemovals: () => [],
    },
    silentLogger(),
    undefined,
    limits,
  );
}

const open = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
const closed = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let data = '';
    s.on('data', (d) => {
      data += d.toString();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(data));
  });

test('connections beyond --max-connections are closed at once; the server serves again when they go', async (t) => {
  const s = server({ ...DEFAULT_LIMITS, maxConnections: 4 });
  const { port } = await s.listen(0, '127.0.0.1');
  t.after(() => s.close());
  const idle = await Promise.all([1, 2, 3, 4].map(() => open(port)));
  const extra = await open(port);
  extra.write('GET /.well-known/acme-challenge/ping HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(await closed(extra), '', 'the fifth connection is closed unanswered');
  for (const sock of idle) sock.destroy();
  await Promise.all(idle.map(closed));
  let answer = await rawRequest(port, '/.well-known/acme-challenge/ping').catch(() => undefined);
  // the server learns of the closed sockets asynchronously: retry until it does
  while (answer === undefined)
    answer = await rawRequest(port, '/.well-known/acme-challenge/ping').catch(() => undefined);
  assert.equal(answer.status, 200);
});

test('a connection that never finishes its headers, or its body, is closed', async (t) => {
  const s = server({ ...DEFAULT_LIMITS, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 });
  const { port } = await s.listen(0, '127.0.0.1');
  t.after(() => s.close());
  const slowHeaders = await open(port);
  slowHeaders.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  const slowBody = await open(port);
  slowBody.write(
    'PUT /api/v1/domains/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
  );
  const idle = await open(port);
  const answers = await Promise.all([closed(slowHeaders), closed(slowBody), closed(idle)]);
  assert.doesNotMatch(answers[0], /200 OK/);
  assert.doesNotMatch(answers[1], /200 OK/);
  assert.doesNotMatch(answers[2], /200 OK/, 'an idle connection is closed (408 at most)');
});
