/**
 * The README's demo must keep working: it serves its sample certificates, rejects the hostile label,
 * shows a renewal (short-lived certificates), and Ctrl-C stops it leaving no temporary directory behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const DEMO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'demo', 'demo.js');

test('the demo serves its certificates, shows a renewal, and Ctrl-C leaves no temp directory', {
  timeout: 180_000,
}, async (t) => {
  // The demo's own temp dir: everything it (and what it starts) creates with mkdtemp lands here.
  const tmp = mkdtempSync(join(tmpdir(), 'demo-test-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const child = spawn(process.execPath, [DEMO, '--cert-lifetime', '24'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seen = new Promise<void>((resolve) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/All sample certificates are served/.test(out) && /\nRENEWED /.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  const first = await Promise.race([seen.then(() => 'seen' as const), exited.then(() => 'exited' as const)]);
  assert.equal(first, 'seen', `the demo exited early:\n${out.slice(-3000)}`);
  const page = /Status page: (http:\/\/127\.0\.0\.1:\d+\/ui\/)/.exec(out);
  assert.ok(page, 'the demo prints the status page URL');
  const res = await fetch(page[1]!);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /web\.demo\.test/, 'the status page lists the sample certificates');
  child.kill('SIGINT');
  assert.equal(await exited, 0, out.slice(-3000));

  for (const name of ['web.demo.test', 'shop.demo.test', 'api.demo.test']) {
    assert.match(
      out,
      new RegExp(`SERVED by HAProxy for SNI ${name.replace(/\./g, '\\.')}: .*verified against Pebble's root: true`),
    );
  }
  assert.match(out, /names shop\.demo\.test, www\.shop\.demo\.test/, 'the SAN certificate covers both names');
  assert.match(out, /REJECTED label of \/demo\/bad: INVALID_NAME/);
  assert.doesNotMatch(out, /internal\.demo\.test.*SERVED/, 'another group is ignored');
  const renewed = /RENEWED and served by HAProxy for SNI (\S+): serial (\S+) -> (\S+),/.exec(out);
  assert.ok(renewed, 'a renewal is shown');
  assert.notEqual(renewed[2], renewed[3], 'HAProxy serves a new certificate');
  assert.deepEqual(readdirSync(tmp), [], 'no temporary directory is left behind');
});
