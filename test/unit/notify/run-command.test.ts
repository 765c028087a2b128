import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, describeResult, runCommand } from '../../../src/notify/run-command.js';

test("runCommand: the child never sees the daemon's secrets", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'env');
  const vars: Record<string, string> = {
    MARATHON_ACME_EAB_HMAC_KEY: 'hmac-secret',
    MARATHON_ACME_MARATHON_TOKEN: 'token-secret',
    MARATHON_ACME_MARATHON: 'http://user:marathon-secret@marathon:8080',
    MARATHON_ACME_LB: 'http://lb1:9090,http://user:lb-secret@lb2:9090',
    MARATHON_ACME_ACME: 'https://user:acme-secret@acme.test/directory',
    MARATHON_ACME_EMAIL: 'ops@example.test',
  };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const r = await runCommand(['/bin/sh', '-c', 'env > "$OUT"'], { env: { OUT: out }, timeoutMs: 5000 });
  assert.equal(describeResult(r), null);
  const env = await readFile(out, 'utf8');
  assert.doesNotMatch(env, /secret/);
  assert.doesNotMatch(env, /MARATHON_ACME_(EAB_HMAC_KEY|MARATHON_TOKEN|MARATHON|LB|ACME)=/);
  assert.match(env, /MARATHON_ACME_EMAIL=ops@example\.test/, 'other variables are inherited');
  assert.match(env, /^PATH=/m);
  // a URL without userinfo is not a secret
  assert.deepEqual(childEnv({ MARATHON_ACME_LB: 'http://lb1:9090', MARATHON_ACME_MARATHON: 'http://m:8080' }), {
    MARATHON_ACME_LB: 'http://lb1:9090',
    MARATHON_ACME_MARATHON: 'http://m:8080',
  });
  // --zk credentials (digest auth) never reach a child either
  assert.deepEqual(childEnv({ MARATHON_ACME_ZK: 'zk://acme:secret@zk1:2181/m' }), {});
  assert.deepEqual(childEnv({ MARATHON_ACME_ZK: 'zk://zk1:2181/m' }), { MARATHON_ACME_ZK: 'zk://zk1:2181/m' });
  assert.equal(describeResult({ ...r, code: 2, stderr: 'a\nno config\n' }), 'exit status 2: no config');
});

test('runCommand: a timeout and an abort together terminate once (no SIGKILL timer left behind)', async () => {
  const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timeouts();
  const ctl = new AbortController();
  // takes 300 ms to exit after SIGTERM, so the abort arrives between the timeout and the exit
  const p = runCommand(['/bin/sh', '-c', 'trap "sleep 0.3; exit 0" TERM; sleep 1 >/dev/null 2>&1 & wait'], {
    timeoutMs: 50,
    signal: ctl.signal,
  });
  await new Promise((r) => setTimeout(r, 150));
  ctl.abort();
  await assert.rejects(p, { name: 'AbortError' });
  assert.equal(timeouts(), before, 'every timer of runCommand is cleared');
});
