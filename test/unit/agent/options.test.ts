import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentHelp, parseAgentArgs, parseFingerprint } from '../../../src/agent/options.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-options-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'sekret-token\n');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const HEX = '0123456789abcdef'.repeat(4);

test('agent options: the contract flags and their defaults', () => {
  const o = parseAgentArgs(['--server', 'https://a:8443,https://b:8443', '--token-file', tokenFile, '/srv/lb'], {});
  assert.notEqual(o, 'help');
  if (o === 'help') return;
  assert.deepEqual(o.servers, ['https://a:8443', 'https://b:8443']);
  assert.equal(o.token, 'sekret-token');
  assert.deepEqual(o.lb, ['http://localhost:9090']);
  assert.deepEqual(o.listen, { port: 8001 });
  assert.equal(o.dir, '/srv/lb');
  assert.equal(o.logLevel, 'info');
});

test('agent options: from the environment (MARATHON_ACME_AGENT_SERVER, MARATHON_ACME_AGENT_TOKEN)', () => {
  const o = parseAgentArgs(['--lb', 'none', '--server-fingerprint', HEX, '/d'], {
    MARATHON_ACME_AGENT_SERVER: 'https://feed.example:8443',
    MARATHON_ACME_AGENT_TOKEN: 'from-env',
    MARATHON_ACME_AGENT_LISTEN: '127.0.0.1:9001',
  });
  if (o === 'help') return assert.fail('help');
  assert.deepEqual(o.servers, ['https://feed.example:8443']);
  assert.equal(o.token, 'from-env');
  assert.deepEqual(o.lb, []);
  assert.deepEqual(o.listen, { host: '127.0.0.1', port: 9001 });
  assert.equal(o.serverFingerprint?.toString('hex'), HEX);
});

const bad: [string, string[], NodeJS.ProcessEnv][] = [
  ['no server', ['--token-file', tokenFile, '/d'], {}],
  ['plain http server (keys only over TLS)', ['--server', 'http://a:80', '--token-file', tokenFile, '/d'], {}],
  ['credentials in the server URL', ['--server', 'https://u:p@a', '--token-file', tokenFile, '/d'], {}],
  ['no token', ['--server', 'https://a', '/d'], {}],
  ['no DIR', ['--server', 'https://a', '--token-file', tokenFile], {}],
  ['bad fingerprint', ['--server', 'https://a', '--token-file', tokenFile, '--server-fingerprint', 'abc', '/d'], {}],
  ['unreadable CA', ['--server', 'https://a', '--token-file', tokenFile, '--server-ca', join(dir, 'nope'), '/d'], {}],
  ['bad lb', ['--server', 'https://a', '--token-file', tokenFile, '--lb', 'localhost:9090', '/d'], {}],
  ['unknown flag', ['--server', 'https://a', '--token-file', tokenFile, '--bogus', '/d'], {}],
];
for (const [name, argv, env] of bad) {
  test(`agent options: usage error for ${name}`, () => {
    assert.throws(() => parseAgentArgs(argv, env), UsageError);
  });
}

test('parseFingerprint: hex with or without colons, any case', () => {
  const colons = HEX.toUpperCase().match(/../g)!.join(':');
  assert.equal(parseFingerprint(colons).toString('hex'), HEX);
  assert.equal(parseFingerprint(` ${HEX} `).toString('hex'), HEX);
  assert.throws(() => parseFingerprint(`${HEX}00`), UsageError);
  assert.throws(() => parseFingerprint('AB:CD'), UsageError);
});

test('agent --help names every contract flag', () => {
  assert.equal(parseAgentArgs(['--help'], {}), 'help');
  const h = agentHelp();
  for (const f of [
    '--server',
    '--token-file',
    '--lb',
    '--notify-command',
    '--server-ca',
    '--server-fingerprint',
    '--listen',
    '--log-level',
    '--log-format',
  ])
    assert.ok(h.includes(f), f);
  assert.ok(h.includes('MARATHON_ACME_AGENT_SERVER'));
  assert.ok(h.includes('MARATHON_ACME_AGENT_TOKEN'));
});
