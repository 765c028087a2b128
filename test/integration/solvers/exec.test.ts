/**
 * The exec provider with lego's hook contract, driven by small shell scripts that call `nsupdate`
 * against a real bind9: the default form (`present <fqdn.> <value>`) and RAW (`present -- <domain>
 * <token> <key-authorization>`, the script computing the value itself), failures with their stderr,
 * the timeout, and a clean environment.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Challenge } from '../../../src/domain/contracts.js';
import { ExecProvider } from '../../../src/solvers/dns01/exec.js';
import type { ProviderTiming } from '../../../src/solvers/dns01/provider.js';
import { Dns01Solver, txtValue } from '../../../src/solvers/dns01/solver.js';
import { type Bind9, startBind9 } from '../../support/bind9.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dirs.js';

let bind: Bind9;
let dir: string;
const TIMING: ProviderTiming = { ttl: 60, propagationTimeoutMs: 5000, pollingIntervalMs: 100, sequenceIntervalMs: 0 };

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nset -eu\n${body}\n`);
  chmodSync(path, 0o700);
  return path;
}

const nsupdate = (): string =>
  `printf 'server 127.0.0.1 ${bind.port}\\nupdate %s %s 60 TXT "%s"\\nsend\\n' "$op" "$name" "$value" | nsupdate -y hmac-sha256:${bind.keyName}:${bind.secret}`;

before(async () => {
  bind = await startBind9({ zones: [{ name: 'example.test' }] });
  dir = makeTempDir('exec-hook-');
});
after(async () => {
  await bind?.stop();
  if (dir) removeTempDir(dir);
});

const challenge = (identifier: string, ka: string): Challenge => ({
  type: 'dns-01',
  identifier,
  token: ka.split('.')[0]!,
  keyAuthorization: ka,
});

function solver(path: string, raw = false, timeoutMs?: number): Dns01Solver {
  return new Dns01Solver({
    provider: new ExecProvider({ path, raw, timing: TIMING, ...(timeoutMs ? { timeoutMs } : {}) }),
    resolvers: [{ host: '127.0.0.1', port: bind.port }],
    systemResolvers: [],
  });
}

test('default form: present/cleanup <fqdn.> <value> through nsupdate; the solver waits until bind9 serves it', async () => {
  const hook = script(
    'hook.sh',
    `echo "$@" >> ${join(dir, 'calls.log')}\ncase "$1" in present) op=add ;; cleanup) op=delete ;; *) exit 2 ;; esac\nname="$2"; value="$3"\n${nsupdate()}`,
  );
  const s = solver(hook);
  const c = challenge('hook.example.test', 'tokA.thumb');
  await s.present(c, AbortSignal.timeout(10_000));
  assert.deepEqual(await bind.txt('_acme-challenge.hook.example.test'), [txtValue('tokA.thumb')]);
  await s.cleanUp(c);
  assert.deepEqual(await bind.txt('_acme-challenge.hook.example.test'), []);
  assert.deepEqual(readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n'), [
    `present _acme-challenge.hook.example.test. ${txtValue('tokA.thumb')}`,
    `cleanup _acme-challenge.hook.example.test. ${txtValue('tokA.thumb')}`,
  ]);
});

test('EXEC_MODE=RAW: present -- <domain> <token> <key-authorization>; the script derives the value', async () => {
  const hook = script(
    'raw.sh',
    `[ "$2" = "--" ] || exit 2\ncase "$1" in present) op=add ;; cleanup) op=delete ;; *) exit 2 ;; esac\nname="_acme-challenge.$3."\nvalue=$(printf %s "$5" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')\n${nsupdate()}`,
  );
  const s = solver(hook, true);
  const c = challenge('raw.example.test', 'tokB.thumb');
  await s.present(c, AbortSignal.timeout(10_000));
  assert.deepEqual(await bind.txt('_acme-challenge.raw.example.test'), [txtValue('tokB.thumb')]);
  await s.cleanUp(c);
  assert.deepEqual(await bind.txt('_acme-challenge.raw.example.test'), []);
});

test('a non-zero exit is DNS_PROVIDER_FAILED with the program stderr in the error', async () => {
  const hook = script('fail.sh', 'echo "zone is locked by the DNS team" >&2\nexit 3');
  await assert.rejects(
    solver(hook).present(challenge('fail.example.test', 'tokC.thumb'), AbortSignal.timeout(10_000)),
    (err: Error & { code?: string; outage?: boolean }) => {
      assert.equal(err.code, 'DNS_PROVIDER_FAILED');
      assert.match(err.message, /exit code 3/);
      assert.match(err.message, /zone is locked by the DNS team/);
      assert.equal(err.outage, false);
      return true;
    },
  );
});

test('a program that runs past its timeout is killed and reported', async () => {
  const hook = script('slow.sh', 'sleep 30');
  await assert.rejects(
    solver(hook, false, 300).present(challenge('slow.example.test', 'tokD.thumb'), AbortSignal.timeout(10_000)),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'DNS_PROVIDER_FAILED');
      assert.match(err.message, /timed out/);
      return true;
    },
  );
});

test("the program gets none of the daemon's secrets in its environment", async () => {
  const envFile = join(dir, 'env.txt');
  const hook = script('env.sh', `env > ${envFile}\nexit 1`);
  const saved = { ...process.env };
  process.env.RFC2136_TSIG_SECRET = 'tsig-secret-value';
  process.env.MARATHON_ACME_EAB_HMAC_KEY = 'eab-secret-value';
  try {
    await assert.rejects(
      solver(hook).present(challenge('env.example.test', 'tokE.thumb'), AbortSignal.timeout(10_000)),
    );
  } finally {
    process.env = saved;
  }
  const env = readFileSync(envFile, 'utf8');
  assert.ok(!env.includes('secret-value'), env);
  assert.match(env, /^PATH=/m);
});
