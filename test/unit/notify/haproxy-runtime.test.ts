import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/lib/logger.js';
import { HaproxyRuntimeNotifier } from '../../../src/notify/haproxy-runtime.js';
import { never, fast } from '../../support/notify-fakes.js';

/** A stand-in for HAProxy's stats socket: records the first line of each command, refuses `set ssl cert` for `refuse`d names. */
async function fakeRuntime(t: { after: (fn: () => Promise<void>) => void }, certsDir: string) {
  const dir = await mkdtemp(join(tmpdir(), 'rt-'));
  const path = join(dir, 'stats.sock');
  const commands: string[] = [];
  const refuse = new Set<string>();
  const crtList = new Set<string>();
  const srv = createNetServer((c) => {
    let buf = '';
    c.on('data', (d) => (buf += d.toString()));
    c.on('end', () => {
      const line = buf.split('\n')[0]!.replace(/ <<$/, '');
      commands.push(line);
      const file = line.split(' ').pop()!;
      const name = file.slice(certsDir.length + 1, -'.pem'.length);
      let answer = 'Unknown command\n';
      if (line === `show ssl crt-list ${certsDir}`) answer = `# ${certsDir}\n${[...crtList].join('\n')}\n`;
      else if (line === 'show ssl cert') answer = '# filename\n';
      else if (line.startsWith('new ssl cert')) answer = 'New empty certificate store!\n';
      else if (line.startsWith('set ssl cert'))
        answer = refuse.has(name)
          ? 'unable to load the certificate\n'
          : `Transaction created for certificate ${file}!\n`;
      else if (line.startsWith('commit ssl cert')) answer = 'Committing ... Success!\n';
      else if (line.startsWith('abort ssl cert')) answer = 'Transaction aborted!\n';
      else if (line.startsWith('add ssl crt-list')) {
        crtList.add(file);
        answer = 'Inserting certificate ... Success!\n';
      } else if (line.startsWith('del ssl crt-list')) {
        crtList.delete(file);
        answer = 'Entry deleted in crtlist!\n';
      } else if (line.startsWith('del ssl cert')) answer = 'Certificate deleted!\n';
      c.end(answer);
    });
  });
  await new Promise<void>((r) => srv.listen(path, r));
  t.after(async () => {
    await new Promise<void>((r) => srv.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });
  /** The names each kind of command was sent for, since the last call. */
  const sent = (): { set: string[]; del: string[] } => {
    const of = (prefix: string) =>
      commands.filter((c) => c.startsWith(prefix)).map((c) => c.split('/').pop()!.slice(0, -'.pem'.length));
    const r = { set: of('set ssl cert'), del: of('del ssl cert') };
    commands.length = 0;
    return r;
  };
  return { path, refuse, sent, commands };
}

async function certsWith(t: { after: (fn: () => Promise<void>) => void }, names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rt-certs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const n of names) await writeFile(join(dir, `${n}.pem`), `PEM of ${n}\n`);
  return dir;
}

test('HaproxyRuntimeNotifier: a newer batch carries the names an earlier one failed to deliver; ok only when nothing is pending', async (t) => {
  const certsDir = await certsWith(t, ['a.test', 'b.test', 'c.test']);
  const hap = await fakeRuntime(t, certsDir);
  const n = new HaproxyRuntimeNotifier({
    statsSocket: hap.path,
    certsDir,
    logger: silentLogger(),
    retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 },
  });
  t.after(() => n.stop());

  hap.refuse.add('a.test');
  const first = await n.notify({ written: ['a.test'], removed: [] }, never());
  assert.equal(first.ok, false);
  assert.match(first.detail!, /a\.test: HAProxy runtime API refused/);
  assert.deepEqual(n.undelivered(), { written: ['a.test'], removed: [] });
  assert.deepEqual(n.pendingRetries(), ['runtime-api']);
  assert.deepEqual(hap.sent().set, ['a.test']);

  // a still refused: b is delivered, the batch is not ok, a stays pending
  const second = await n.notify({ written: ['b.test'], removed: [] }, never());
  assert.equal(second.ok, false, 'ok only when everything pending was delivered');
  assert.deepEqual(hap.sent().set, ['a.test', 'b.test']);
  assert.deepEqual(n.undelivered(), { written: ['a.test'], removed: [] });

  // the newer batch supersedes the retry AND delivers a
  hap.refuse.clear();
  assert.deepEqual(await n.notify({ written: ['c.test'], removed: [] }, never()), { ok: true });
  assert.deepEqual(hap.sent().set.sort(), ['a.test', 'c.test']);
  assert.deepEqual(n.undelivered(), { written: [], removed: [] });
  assert.deepEqual(n.pendingRetries(), []);
});

test('HaproxyRuntimeNotifier: a name written (undelivered) then removed is only removed; retries deliver what is pending', async (t) => {
  const certsDir = await certsWith(t, ['a.test', 'b.test']);
  const hap = await fakeRuntime(t, certsDir);
  const n = new HaproxyRuntimeNotifier({ statsSocket: hap.path, certsDir, logger: silentLogger(), retry: fast });
  t.after(() => n.stop());
  hap.refuse.add('a.test');
  hap.refuse.add('b.test');
  assert.equal((await n.notify({ written: ['a.test', 'b.test'], removed: [] }, never())).ok, false);
  hap.sent();
  // a removed before it was ever delivered: the removal wins, no second `set` for it
  const r = await n.notify({ written: [], removed: ['a.test'] }, never());
  assert.equal(r.ok, false, 'b is still refused');
  const s = hap.sent();
  assert.deepEqual(s.set, ['b.test']);
  assert.deepEqual(s.del, ['a.test']);
  assert.deepEqual(n.undelivered(), { written: ['b.test'], removed: [] });
  // the background retry delivers b once HAProxy accepts it
  hap.refuse.clear();
  for (let i = 0; i < 100 && n.undelivered().written.length > 0; i += 1)
    await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(n.undelivered(), { written: [], removed: [] });
  assert.ok(hap.sent().set.includes('b.test'));
});

test('HaproxyRuntimeNotifier: haproxyCertsDir names the directory in CLI commands; certsDir is where files are read', async (t) => {
  const certsDir = await certsWith(t, ['a.test']);
  const hap = await fakeRuntime(t, '/etc/haproxy/certs');
  const n = new HaproxyRuntimeNotifier({
    statsSocket: hap.path,
    certsDir,
    haproxyCertsDir: '/etc/haproxy/certs/',
    logger: silentLogger(),
  });
  t.after(() => n.stop());
  assert.deepEqual(await n.notify({ written: ['a.test'], removed: [] }, never()), { ok: true });
  assert.ok(hap.commands.includes('set ssl cert /etc/haproxy/certs/a.test.pem'), hap.commands.join('\n'));
  assert.ok(hap.commands.includes('add ssl crt-list /etc/haproxy/certs /etc/haproxy/certs/a.test.pem'));
});
