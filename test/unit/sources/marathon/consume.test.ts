import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { consume, type ConsumeEnd } from '../../../../src/sources/marathon/consume.js';

/** One response from a server that writes `chunks` then either ends, stalls or resets. */
async function withResponse(
  then: 'end' | 'stall' | 'reset',
  fn: (res: http.IncomingMessage) => Promise<void>,
): Promise<void> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('a');
    res.write('b');
    if (then === 'end') res.end();
    if (then === 'reset') setTimeout(() => res.socket?.destroy(), 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ port, host: '127.0.0.1', agent: false }, resolve).once('error', reject),
    );
    await fn(res);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('consume: end, idle, abort, a throwing onChunk and a reset connection', async () => {
  let text = '';
  await withResponse('end', async (res) => {
    assert.deepEqual(
      await consume(res, {
        idleMs: 5000,
        onChunk: (c) => {
          text += c.toString();
        },
      }),
      {
        kind: 'end',
      },
    );
  });
  assert.equal(text, 'ab');
  await withResponse('stall', async (res) => {
    assert.deepEqual(await consume(res, { idleMs: 100, onChunk: () => undefined }), { kind: 'idle' });
    assert.ok(res.destroyed);
  });
  await withResponse('stall', async (res) => {
    const ac = new AbortController();
    const p = consume(res, { idleMs: 0, signal: ac.signal, onChunk: () => ac.abort() });
    assert.deepEqual(await p, { kind: 'aborted' });
  });
  await withResponse('stall', async (res) => {
    const boom = new Error('boom');
    const end: ConsumeEnd = await consume(res, {
      idleMs: 0,
      onChunk: () => {
        throw boom;
      },
    });
    assert.deepEqual(end, { kind: 'thrown', error: boom });
    assert.ok(res.destroyed);
  });
  await withResponse('reset', async (res) => {
    const end = await consume(res, { idleMs: 5000, onChunk: () => undefined });
    assert.ok(end.kind === 'error' || end.kind === 'closed', end.kind);
  });
});
