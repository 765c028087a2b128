import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/lib/logger.js';
import { CommandNotifier } from '../../../src/notify/command.js';
import { change, never, fast, memoryLogger } from '../../support/notify-fakes.js';

test('CommandNotifier: argv without a shell, changed names in the environment', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  // sh is the program here (argv[0]); the notifier itself never uses a shell
  const n = new CommandNotifier({
    argv: [
      '/bin/sh',
      '-c',
      'printf "%s|%s|%s|%s" "$MARATHON_ACME_WRITTEN" "$MARATHON_ACME_REMOVED" "$MARATHON_ACME_CHANGED" "$1" > "$OUT"',
      'sh',
      '$HOME;`id`',
    ],
    env: { OUT: out },
    logger: silentLogger(),
  });
  assert.deepEqual(await n.notify(change, never()), { ok: true });
  assert.equal(
    await readFile(out, 'utf8'),
    'a.example.test b.example.test|old.example.test|a.example.test b.example.test old.example.test|$HOME;`id`',
  );
  await n.stop();
});

test('CommandNotifier: exit status, stderr, timeout and a missing program are failures, retried until success', async (t) => {
  const { logger, lines } = memoryLogger();
  const failing: CommandNotifier = new CommandNotifier({
    argv: ['/bin/sh', '-c', 'echo "reload refused: bad config" >&2; exit 3'],
    logger,
    retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 },
  });
  t.after(() => failing.stop());
  const r = await failing.notify(change, never());
  assert.equal(r.ok, false);
  assert.equal(r.detail, 'exit status 3: reload refused: bad config');
  assert.match(lines(), /"exit_code":3/);
  assert.match(lines(), /reload refused: bad config/);
  assert.equal(failing.pendingRetries().length, 1);
  await failing.stop();

  const slow = new CommandNotifier({ argv: ['/bin/sleep', '10'], timeoutMs: 100, logger: silentLogger() });
  t.after(() => slow.stop());
  const t0 = Date.now();
  assert.deepEqual(await slow.notify(change, never()), { ok: false, detail: 'timed out' });
  assert.ok(Date.now() - t0 < 3000);
  await slow.stop();

  const missing = new CommandNotifier({ argv: ['/nonexistent/reload'], logger: silentLogger() });
  t.after(() => missing.stop());
  assert.match((await missing.notify(change, never())).detail!, /could not start: .*ENOENT/);
  await missing.stop();
  assert.throws(() => new CommandNotifier({ argv: [], logger: silentLogger() }), { code: 'INVALID_COMMAND' });

  const dir = await mkdtemp(join(tmpdir(), 'cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const flag = join(dir, 'flag');
  const eventually = new CommandNotifier({
    argv: ['/bin/sh', '-c', `test -e ${flag} || { touch ${flag}; exit 1; }`],
    logger: silentLogger(),
    retry: fast,
  });
  t.after(() => eventually.stop());
  assert.equal((await eventually.notify(change, never())).ok, false);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(eventually.pendingRetries(), [], 'succeeded on retry');
  await eventually.stop();
});

test("CommandNotifier: a failed run's names are passed again with the next batch (latest event wins)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const fail = join(dir, 'fail');
  await writeFile(fail, '');
  const n = new CommandNotifier({
    argv: [
      '/bin/sh',
      '-c',
      'printf "%s|%s\\n" "$MARATHON_ACME_WRITTEN" "$MARATHON_ACME_REMOVED" >> "$OUT"; test ! -e "$FAIL"',
    ],
    env: { OUT: out, FAIL: fail },
    logger: silentLogger(),
    retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 },
  });
  t.after(() => n.stop());
  assert.equal((await n.notify({ written: ['a.test', 'b.test'], removed: [] }, never())).ok, false);
  await rm(fail);
  assert.deepEqual(await n.notify({ written: ['c.test'], removed: ['b.test'] }, never()), { ok: true });
  assert.deepEqual(n.pendingRetries(), []);
  assert.deepEqual(await n.notify({ written: ['d.test'], removed: [] }, never()), { ok: true });
  assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n'), [
    'a.test b.test|',
    'a.test c.test|b.test',
    'd.test|',
  ]);
});
