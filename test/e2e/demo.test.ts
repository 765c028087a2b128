/** The README's demo must keep working: run it to the point where every sample certificate is served. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const DEMO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'demo', 'demo.js');

test('the demo issues and serves its sample certificates, and rejects the hostile label', {
  timeout: 180_000,
}, async () => {
  const child = spawn(process.execPath, [DEMO, '--exit-when-served'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, out.slice(-3000));
  for (const name of ['web.demo.test', 'shop.demo.test', 'api.demo.test']) {
    assert.match(
      out,
      new RegExp(`SERVED by HAProxy for SNI ${name.replace(/\./g, '\\.')}: .*verified against Pebble's root: true`),
    );
  }
  assert.match(out, /names shop\.demo\.test, www\.shop\.demo\.test/, 'the SAN certificate covers both names');
  assert.match(out, /REJECTED label of \/demo\/bad: INVALID_NAME/);
  assert.doesNotMatch(out, /internal\.demo\.test.*SERVED/, 'another group is ignored');
});
