import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../../src/cli/parse.js';
import { describeConfig } from '../../../src/config/describe.js';

test('describeConfig: what the start-up line logs, never a secret', () => {
  const r = parseCli(
    [
      '--marathon',
      'http://user:marathon-pass@m:8080',
      '--acme',
      'https://acme-user:acme-pass@ca.example/directory',
      '--lb',
      'http://lb-user:lb-pass@lb:9090',
      '--eab-kid',
      'kid-1',
      '--eab-hmac-key',
      'aG1hYy1zZWNyZXQ',
      '--marathon-token',
      'token-secret',
      '--listen',
      '127.0.0.1:8080',
      '--zk',
      'zk://zk-user:zk-pass@zk1:2181,zk2:2181/marathon-acme',
      '--instance-id',
      'node-1',
      '/s',
    ],
    {},
  );
  assert.equal(r.kind, 'run');
  const d = describeConfig((r as Extract<typeof r, { kind: 'run' }>).config);
  const text = JSON.stringify(d);
  assert.doesNotMatch(text, /marathon-pass|aG1hYy1zZWNyZXQ|token-secret|acme-pass|acme-user|lb-pass|zk-pass|zk-user/);
  assert.equal(d.zk, 'zk://zk1:2181,zk2:2181/marathon-acme');
  assert.equal(d.zk_session_timeout, 10);
  assert.equal(d.instance_id, 'node-1');
  assert.equal(d.acme, 'https://***@ca.example/directory');
  assert.deepEqual(d.eab, { kid: 'kid-1' });
  assert.equal(d.listen, '127.0.0.1:8080');
  assert.equal(d.sse_timeout, 60, 'durations in seconds');
  assert.equal(d.email, null, 'absent optional values are null, so the line always has the field');
  assert.deepEqual(Object.keys(d).slice(0, 4), ['storage_dir', 'acme', 'cas', 'email']);
});
