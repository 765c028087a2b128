/**
 * The test support cleans up after itself even when its process does not get to call stop(): a
 * process that starts HAProxy and Pebble and then dies of an uncaught error, or is sent SIGTERM,
 * leaves no temporary directory and no HAProxy or Pebble process behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const support = (f: string): string =>
  pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'support', f)).href;

const SCRIPT = `
import { startHaproxy } from ${JSON.stringify(support('haproxy.js'))};
import { startPebble } from ${JSON.stringify(support('pebble.js'))};
import { makeTempDir } from ${JSON.stringify(support('temp-dirs.js'))};
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
const storage = makeTempDir('storage-');
mkdirSync(join(storage, 'certs'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=*',
  '-keyout', join(storage, 'k.pem'), '-out', join(storage, 'c.pem'), '-days', '1'], { stdio: 'ignore' });
writeFileSync(join(storage, 'default.pem'), execFileSync('cat', [join(storage, 'k.pem'), join(storage, 'c.pem')]));
const hap = await startHaproxy({ storageDir: storage });
const pebble = await startPebble();
console.log(JSON.stringify({ pids: [hap.pid()], ready: true }));
process.stdin.once('data', () => {
  throw new Error('boom');
});
`;

async function run(t: { after: (fn: () => void) => void }, how: 'throw' | 'SIGTERM'): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'temp-dirs-test-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, TMPDIR: tmp, PATH: `${process.env.PATH}:/usr/sbin` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pids = await new Promise<number[]>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"pids":\[(\d+)\]/.exec(out);
      if (m) resolve([Number(m[1])]);
    });
    void exited.then(() => reject(new Error(`child exited before it was ready:\n${out}`)));
  });
  assert.ok(readdirSync(tmp).some((d) => d.startsWith('haproxy-')));
  if (how === 'SIGTERM') child.kill('SIGTERM');
  else child.stdin.write('go\n');
  const code = await exited;
  assert.equal(code, how === 'SIGTERM' ? 143 : 1, out);
  assert.deepEqual(readdirSync(tmp), [], 'no temporary directory is left behind');
  for (const pid of pids) assert.ok(await gone(pid), `the HAProxy master ${pid} is gone`);
}

/** The process has exited (a zombie waiting for its new parent to reap it counts as exited). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('an uncaught error after starting HAProxy and Pebble leaves nothing behind', { timeout: 60_000 }, async (t) => {
  await run(t, 'throw');
});

test('SIGTERM (or Ctrl-C) leaves nothing behind', { timeout: 60_000 }, async (t) => {
  await run(t, 'SIGTERM');
});
