/** The high-availability flags: --zk (MARATHON_ACME_ZK), --zk-session-timeout, --instance-id. */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { parseCli } from '../../../src/cli/parse.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = parseCli(argv, env);
  assert.equal(r.kind, 'run');
  return (r as Extract<typeof r, { kind: 'run' }>).config;
};

test('without --zk: no cluster, a 10 s default timeout, instance id <hostname>:<listen port>', () => {
  const c = run(['--listen', ':8123', '/s']);
  assert.equal(c.zk, undefined);
  assert.equal(c.zkSessionTimeoutMs, 10_000);
  assert.equal(c.instanceId, `${hostname()}:8123`);
});

test('--zk, --zk-session-timeout and --instance-id from the command line', () => {
  const c = run([
    '--zk',
    'zk://u:pw@zk1:2181,zk2:2181/marathon-acme',
    '--zk-session-timeout',
    '6',
    '--instance-id',
    'a1',
    '/s',
  ]);
  assert.deepEqual(c.zk?.servers, [
    { host: 'zk1', port: 2181 },
    { host: 'zk2', port: 2181 },
  ]);
  assert.equal(c.zk?.path, '/marathon-acme');
  assert.deepEqual(c.zk?.auth, { user: 'u', password: 'pw' });
  assert.equal(c.zkSessionTimeoutMs, 6000);
  assert.equal(c.instanceId, 'a1');
});

test('the same from the environment (MARATHON_ACME_ZK, ...)', () => {
  const c = run(['/s'], {
    MARATHON_ACME_ZK: 'zk://127.0.0.1:2181/x',
    MARATHON_ACME_ZK_SESSION_TIMEOUT: '4',
    MARATHON_ACME_INSTANCE_ID: 'b2',
  });
  assert.equal(c.zk?.path, '/x');
  assert.equal(c.zkSessionTimeoutMs, 4000);
  assert.equal(c.instanceId, 'b2');
});

test('a bad --zk is a usage error naming the flag, never echoing the password', () => {
  assert.throws(
    () => run(['--zk', 'zk://u:hunter2@zk1:2181', '/s']),
    (err: Error) => err instanceof UsageError && err.message.includes('--zk') && !err.message.includes('hunter2'),
  );
  assert.throws(() => run(['--zk-session-timeout', '0', '/s']), UsageError);
});
