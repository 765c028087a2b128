import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyCommand } from '../../../src/notify/haproxy-cli.js';

test('haproxyCommand: one command per connection, `<<` payload without blank lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'cli.sock');
  const received: string[] = [];
  const srv = createNetServer((c) => {
    let buf = '';
    c.on('data', (d) => (buf += d.toString()));
    c.on('end', () => {
      received.push(buf);
      c.end('Transaction created for certificate x!\n');
    });
  });
  await new Promise<void>((r) => srv.listen(path, r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const answer = await haproxyCommand(path, 'set ssl cert /c/a.pem', { payload: 'LINE1\n\nLINE2\r\n' });
  assert.equal(answer, 'Transaction created for certificate x!\n');
  assert.equal(received[0], 'set ssl cert /c/a.pem <<\nLINE1\nLINE2\n\n');
  await assert.rejects(haproxyCommand(join(dir, 'none.sock'), 'show info'), { code: 'HAPROXY_CLI_FAILED' });
  await assert.rejects(haproxyCommand(path, 'show info\nshutdown'), { code: 'HAPROXY_CLI_FAILED' });
});
