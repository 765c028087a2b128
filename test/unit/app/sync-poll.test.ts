/**
 * The sync feed's change detector (ChangePoll in src/app/sync.ts) on a real temporary directory: it
 * rescans after a bundle is renamed in, replaced or removed and after default.pem changes, not when
 * nothing changed; never runs two rescans at once; survives stat and rescan failures (one warning per
 * run of failures, retried on the next tick); follows a change-caused rescan with one more (a change in
 * the same timestamp granule); stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangePoll } from '../../../src/app/sync.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { memoryLogger } from '../../support/notify-fakes.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dirs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A storage-like directory: certs/ with one bundle, default.pem, a staging directory beside certs/. */
function storage(): { dir: string; certs: string; def: string; put: (name: string, text: string) => void } {
  const dir = makeTempDir('sync-poll-');
  const certs = join(dir, 'certs');
  mkdirSync(certs);
  mkdirSync(join(dir, '.staging'));
  const put = (name: string, text: string): void => {
    const tmp = join(dir, '.staging', `${name}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(certs, name)); // how the store writes
  };
  put('a.example.pem', 'A');
  writeFileSync(join(dir, 'default.pem'), 'D');
  return { dir, certs, def: join(dir, 'default.pem'), put };
}

/** A ChangePoll on `paths` whose clock stands still (no "a minute passed" rescans) and whose ticks are manual. */
function poller(paths: string[], rescan: () => Promise<void> = async () => undefined, logger = silentLogger()) {
  let rescans = 0;
  const poll = new ChangePoll({
    paths,
    logger,
    pollMs: 3_600_000,
    now: () => 0,
    rescan: async () => {
      rescans += 1;
      await rescan();
    },
  });
  return { poll, rescans: () => rescans };
}

type Storage = ReturnType<typeof storage>;
const cases: ReadonlyArray<{
  name: string;
  before?: (s: Storage) => void;
  change: (s: Storage) => void;
  fires: boolean;
}> = [
  { name: 'nothing changed', change: () => undefined, fires: false },
  {
    name: 'a file written in the staging directory only',
    change: (s) => writeFileSync(join(s.dir, '.staging', 'x'), 'x'),
    fires: false,
  },
  { name: 'a bundle renamed in', change: (s) => s.put('b.example.pem', 'B'), fires: true },
  { name: 'a bundle replaced (renamed over)', change: (s) => s.put('a.example.pem', 'A2'), fires: true },
  { name: 'a bundle removed', change: (s) => unlinkSync(join(s.certs, 'a.example.pem')), fires: true },
  {
    name: 'a bundle renamed out (archived)',
    change: (s) => renameSync(join(s.certs, 'a.example.pem'), join(s.dir, 'a.old')),
    fires: true,
  },
  {
    name: 'default.pem replaced',
    change: (s) => {
      writeFileSync(join(s.dir, 'd.tmp'), 'D2');
      renameSync(join(s.dir, 'd.tmp'), s.def);
    },
    fires: true,
  },
  { name: 'default.pem removed', change: (s) => unlinkSync(s.def), fires: true },
  {
    name: 'default.pem created',
    before: (s) => unlinkSync(s.def),
    change: (s) => writeFileSync(s.def, 'D'),
    fires: true,
  },
  {
    name: 'a bundle rewritten in place (seen by the minute rescan only)',
    change: (s) => writeFileSync(join(s.certs, 'a.example.pem'), 'A3'),
    fires: false,
  },
];

for (const c of cases) {
  test(`change detector: ${c.name} → ${c.fires ? 'rescan' : 'no rescan'}`, async (t) => {
    const s = storage();
    t.after(() => removeTempDir(s.dir));
    c.before?.(s);
    const { poll, rescans } = poller([s.certs, s.def]);
    await poll.prime();
    await poll.tick();
    assert.equal(rescans(), 0, 'no change since prime');
    await sleep(20); // past the kernel's timestamp tick (a jiffy), so a change shows in the mtime
    c.change(s);
    await poll.tick();
    assert.equal(rescans(), c.fires ? 1 : 0);
    await poll.tick();
    assert.equal(rescans(), c.fires ? 2 : 0, 'a change-caused rescan is followed by one more');
    await poll.tick();
    await poll.tick();
    assert.equal(rescans(), c.fires ? 2 : 0, 'then quiet');
  });
}

test('change detector: a second change in the same timestamp granule is caught by the follow-up rescan', async () => {
  // A file system with coarse times: the signature does not move for the second change.
  let sig = 't1';
  let seen: string[] = [];
  let files = ['a'];
  const poll = new ChangePoll({
    paths: ['/certs'],
    logger: silentLogger(),
    now: () => 0,
    stat: async () => sig,
    rescan: async () => {
      seen = [...files];
    },
  });
  await poll.prime();
  files = ['a', 'b'];
  sig = 't2';
  await poll.tick();
  assert.deepEqual(seen, ['a', 'b']);
  files = ['a', 'b', 'c']; // same granule: sig stays t2
  await poll.tick();
  assert.deepEqual(seen, ['a', 'b', 'c'], 'the follow-up rescan read it');
});

/** A poll on a path whose stat never changes, on a clock the test sets; full rescans every 60 s. */
function steadyPoll(rescan: () => Promise<void>) {
  const clock = { now: 0 };
  const poll = new ChangePoll({
    paths: ['/certs'],
    logger: silentLogger(),
    fullEveryMs: 60_000,
    now: () => clock.now,
    stat: async () => 'same',
    rescan,
  });
  return { poll, clock };
}

test('change detector: a rescan at least every fullEveryMs even when the stat says nothing changed', async () => {
  let rescans = 0;
  const { poll, clock } = steadyPoll(async () => {
    rescans += 1;
  });
  await poll.prime();
  clock.now = 59_999;
  await poll.tick();
  assert.equal(rescans, 0);
  clock.now = 60_000;
  await poll.tick();
  assert.equal(rescans, 1);
  clock.now = 61_000;
  await poll.tick();
  assert.equal(rescans, 1);
});

test('change detector: a rescan is not started while one runs; a request waits for the next tick', async (t) => {
  const s = storage();
  t.after(() => removeTempDir(s.dir));
  let release: () => void = () => undefined;
  let running = 0;
  let most = 0;
  const { poll, rescans } = poller([s.certs, s.def], async () => {
    running += 1;
    most = Math.max(most, running);
    await new Promise<void>((r) => {
      release = r;
    });
    running -= 1;
  });
  await poll.prime();
  s.put('b.example.pem', 'B');
  const first = poll.tick();
  await sleep(10);
  assert.equal(rescans(), 1);
  s.put('c.example.pem', 'C');
  await poll.tick(); // resolves at once: a tick is running
  poll.request();
  assert.equal(rescans(), 1, 'no second rescan while the first runs');
  release();
  await first;
  const second = poll.tick(); // the follow-up, the change and the request: one rescan
  await sleep(10);
  assert.equal(rescans(), 2);
  release();
  await second;
  assert.equal(most, 1);
});

test('change detector with its timer: sees a rename within 10 s, never overlaps slow rescans, stops', async (t) => {
  const s = storage();
  t.after(() => removeTempDir(s.dir));
  let running = 0;
  let most = 0;
  let listed: string[] = [];
  const poll = new ChangePoll({
    paths: [s.certs, s.def],
    logger: silentLogger(),
    pollMs: 20,
    rescan: async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(100); // slower than the tick: ticks must wait, not pile up
      listed = readdirSync(s.certs).sort();
      running -= 1;
    },
  });
  await poll.prime();
  poll.start();
  s.put('b.example.pem', 'B');
  const deadline = Date.now() + 10_000;
  while (!listed.includes('b.example.pem') && Date.now() < deadline) await sleep(20);
  assert.ok(listed.includes('b.example.pem'), 'the new bundle was seen within 10 s');
  for (let i = 0; i < 5; i++) {
    s.put(`x${i}.example.pem`, 'X'); // changes during rescans
    await sleep(30);
  }
  await poll.stop();
  assert.equal(most, 1, 'never two rescans at once');
  const after = listed;
  s.put('late.example.pem', 'L');
  await sleep(200);
  assert.equal(listed, after, 'no rescan after stop');
});

test('change detector: certs/ removed and unreadable stats are survived: one warning, retried, then recovered', async (t) => {
  const s = storage();
  t.after(() => removeTempDir(s.dir));
  const log = memoryLogger();
  const { poll, rescans } = poller(
    [s.certs, s.def],
    async () => {
      readdirSync(s.certs); // the real rescan reads the directory: ENOENT while it is gone
    },
    log.logger,
  );
  await poll.prime();
  rmSync(s.certs, { recursive: true });
  for (let i = 0; i < 5; i++) await poll.tick();
  assert.equal(rescans(), 5, 'retried on every tick (every 2 s in the daemon), no faster');
  const warnings = () =>
    log
      .lines()
      .split('\n')
      .filter((l) => l.includes('"level":"warn"'));
  assert.equal(warnings().length, 1, 'logged once');
  assert.match(warnings()[0]!, /ENOENT/);
  mkdirSync(s.certs);
  await poll.tick();
  assert.match(log.lines(), /sync feed rescans work again/);
  await poll.tick();
  await poll.tick();
  assert.equal(rescans(), 7, 'the recovery rescan and its follow-up, then quiet');
});

test('change detector: a stat that fails (EACCES) is logged once; no rescan until it works, then one', async () => {
  const log = memoryLogger();
  let fail = true;
  let rescans = 0;
  const poll = new ChangePoll({
    paths: ['/certs'],
    logger: log.logger,
    now: () => 0,
    stat: async () => {
      if (fail) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      return 'sig';
    },
    rescan: async () => {
      rescans += 1;
    },
  });
  await poll.prime(); // fails quietly: the first tick that can stat rescans
  for (let i = 0; i < 5; i++) await poll.tick();
  assert.equal(rescans, 0);
  assert.equal(
    log
      .lines()
      .split('\n')
      .filter((l) => l.includes('"level":"warn"')).length,
    1,
  );
  assert.match(log.lines(), /EACCES/);
  fail = false;
  await poll.tick();
  assert.equal(rescans, 1);
  assert.match(log.lines(), /sync feed rescans work again/);
});

test('change detector: a nudge during a rescan (an install event) brings one more rescan, one outside it none', async () => {
  let rescans = 0;
  let release: () => void = () => undefined;
  const { poll, clock } = steadyPoll(async () => {
    rescans += 1;
    await new Promise<void>((r) => {
      release = r;
    });
  });
  await poll.prime();
  poll.nudge(); // nothing running: no effect
  await poll.tick();
  assert.equal(rescans, 0, 'a nudge outside a rescan asks for nothing');
  clock.now = 60_000; // the safety net: due, not caused by a change
  const due = poll.tick();
  await sleep(5);
  assert.equal(rescans, 1);
  poll.nudge(); // an install while it reads
  release();
  await due;
  clock.now = 61_000;
  const again = poll.tick();
  await sleep(5);
  assert.equal(rescans, 2, 'the nudged rescan follows on the next tick');
  release();
  await again;
  clock.now = 62_000;
  await poll.tick();
  assert.equal(rescans, 2, 'and only once');
});
