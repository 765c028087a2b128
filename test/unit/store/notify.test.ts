/** Unit tests of the notifiers against local stand-ins (HTTP servers, commands, a fake CLI socket). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Change, Notifier } from '../../../src/domain/contracts.js';
import { createLogger, silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import { MarathonLbNotifier } from '../../../src/notify/marathon-lb.js';
import { CommandNotifier } from '../../../src/notify/command.js';
import { HaproxyRuntimeNotifier } from '../../../src/notify/haproxy-runtime.js';
import { BackgroundRetries } from '../../../src/notify/retry.js';
import { childEnv, describeResult, runCommand } from '../../../src/notify/run-command.js';
import { FanoutNotifier } from '../../../src/notify/fanout.js';
import { haproxyCommand } from '../../../src/notify/haproxy-cli.js';
import { buildNotifier, NoopNotifier } from '../../../src/notify/build.js';
import { freePort, type HaproxyHandle } from '../../support/haproxy.js';
import { startMlbStandin } from '../../support/mlb-standin.js';

const change: Change = { written: ['a.example.test', 'b.example.test'], removed: ['old.example.test'] };
const never = (): AbortSignal => new AbortController().signal;
const fast = { baseMs: 20, capMs: 50, factor: 2, jitter: 0 };

interface Hit {
  method: string;
  url: string;
  auth: string | undefined;
}
async function httpServer(
  t: { after: (fn: () => Promise<void>) => void },
  status: () => number | null,
): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const srv: Server = createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    const s = status();
    if (s === null) return; // never answer
    res.writeHead(s).end('Sent SIGUSR1 signal to marathon-lb');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  );
  const a = srv.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, hits };
}

function memoryLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let out = '';
  const destination = new Writable({
    write(chunk, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines: () => out };
}

test('MarathonLbNotifier: one POST per LB to /_mlb_signal/usr1, userinfo as Basic auth and never logged', async (t) => {
  const lb = await httpServer(t, () => 200);
  const { logger, lines } = memoryLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const n = new MarathonLbNotifier({
    urls: [`${lb.url.replace('http://', 'http://us%40er:p%3Ass@')}/some/base/path?x=1`],
    logger,
    metrics,
  });
  t.after(() => n.stop());
  assert.deepEqual(await n.notify(change, never()), { ok: true });
  assert.deepEqual(lb.hits, [
    { method: 'POST', url: '/_mlb_signal/usr1', auth: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}` },
  ]);
  assert.doesNotMatch(lines(), /p:ss|p%3Ass|us%40er/);
  assert.match(lines(), /marathon-lb signalled/);
  assert.match(await metrics.registry.metrics(), /lb_signals_total\{notifier="marathon-lb",result="success"\} 1/);
  // an empty batch signals nothing (0.6.1 did not signal when nothing was issued)
  assert.equal((await n.notify({ written: [], removed: [] }, never())).ok, true);
  assert.equal(lb.hits.length, 1);
});

test('MarathonLbNotifier: all LBs failing (status >= 400, refused, timeout) is ok:false, and they are retried', async (t) => {
  const bad = await httpServer(t, () => 500);
  const silent = await httpServer(t, () => null);
  const closed = await freePort();
  const n = new MarathonLbNotifier({
    urls: [bad.url, silent.url, `http://127.0.0.1:${closed}`],
    logger: silentLogger(),
    timeoutMs: 200,
    retry: { baseMs: 5000, capMs: 5000, factor: 1, jitter: 0 },
  });
  t.after(() => n.stop());
  const t0 = Date.now();
  const res = await n.notify(change, never());
  assert.ok(Date.now() - t0 < 2000, 'the timeout bounds the call');
  assert.equal(res.ok, false);
  assert.match(res.detail!, /3\/3 marathon-lb instances failed/);
  assert.match(res.detail!, /HTTP 500/);
  assert.match(res.detail!, /ECONNREFUSED/);
  assert.match(res.detail!, /timeout after 200 ms/);
  assert.equal(n.pendingRetries().length, 3);
  await n.stop();
  assert.deepEqual(n.pendingRetries(), []);
});

test('MarathonLbNotifier: a newer batch supersedes pending retries; retries stop once the LB answers', async (t) => {
  let status = 503;
  const lb = await httpServer(t, () => status);
  const n = new MarathonLbNotifier({
    urls: [lb.url],
    logger: silentLogger(),
    retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 },
  });
  t.after(() => n.stop());
  assert.equal((await n.notify(change, never())).ok, false);
  assert.equal(n.pendingRetries().length, 1);
  status = 200;
  assert.equal((await n.notify(change, never())).ok, true, 'the newer batch reaches the LB');
  assert.deepEqual(n.pendingRetries(), [], 'the older retry was superseded');
  assert.equal(lb.hits.length, 2);

  status = 502;
  const quick = new MarathonLbNotifier({ urls: [lb.url], logger: silentLogger(), retry: fast });
  t.after(() => quick.stop());
  await quick.notify(change, never());
  setTimeout(() => {
    status = 200;
  }, 100);
  await quick.retriesSettled();
  assert.deepEqual(quick.pendingRetries(), []);
  assert.ok(lb.hits.length >= 4);
});

test('MarathonLbNotifier: abort rejects; bad URLs are refused at construction', async (t) => {
  const lb = await httpServer(t, () => null);
  const n = new MarathonLbNotifier({ urls: [lb.url], logger: silentLogger() });
  t.after(() => n.stop());
  const ctl = new AbortController();
  const p = n.notify(change, ctl.signal);
  setTimeout(() => ctl.abort(), 50);
  await assert.rejects(p, { name: 'AbortError' });
  assert.deepEqual(n.pendingRetries(), [], 'no retries after an abort');
  await assert.rejects(n.notify(change, ctl.signal), { name: 'AbortError' });
  assert.throws(() => new MarathonLbNotifier({ urls: ['not a url'], logger: silentLogger() }), {
    code: 'INVALID_LB_URL',
  });
  assert.throws(() => new MarathonLbNotifier({ urls: ['ftp://x'], logger: silentLogger() }), {
    code: 'INVALID_LB_URL',
  });
});

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

test('FanoutNotifier: all must succeed; failures are named; abort rejects', async () => {
  const fake = (name: string, ok: boolean, delayMs = 0): Notifier => ({
    name,
    async notify(_c, signal) {
      await new Promise((r) => setTimeout(r, delayMs));
      if (signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      return ok ? { ok } : { ok, detail: 'nope' };
    },
    async stop() {},
  });
  assert.deepEqual(await new FanoutNotifier([fake('a', true), fake('b', true)]).notify(change, never()), { ok: true });
  assert.deepEqual(await new FanoutNotifier([fake('a', true), fake('b', false)]).notify(change, never()), {
    ok: false,
    detail: 'b: nope',
  });
  const ctl = new AbortController();
  const p = new FanoutNotifier([fake('a', true, 50)]).notify(change, ctl.signal);
  ctl.abort();
  await assert.rejects(p, { name: 'AbortError' });
  assert.equal(new FanoutNotifier([fake('a', true), fake('b', true)]).name, 'a+b');
});

test('buildNotifier picks the notifiers the configuration asks for', () => {
  const base = { storageDir: '/tmp/x', lb: [] as string[] } as unknown as Parameters<typeof buildNotifier>[0];
  const logger = silentLogger();
  assert.ok(buildNotifier(base, logger) instanceof NoopNotifier);
  assert.ok(buildNotifier({ ...base, lb: ['http://lb:9090'] }, logger) instanceof MarathonLbNotifier);
  const both = buildNotifier(
    { ...base, lb: ['http://lb:9090'], notifyCommand: ['/bin/true'], haproxySocket: '/run/haproxy.sock' },
    logger,
  );
  assert.equal(both.name, 'marathon-lb+haproxy-runtime+command');
});

test('haproxyCommand: one command per connection, `<<` payload without blank lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'cli.sock');
  const received: string[] = [];
  const srv = createNetServer((c) => {
    let buf = '';
    c.on('data', (d) => (buf += d.toString()));
    c.on('end', () => {
      received.push(buf);
      c.end('Transaction created for certificate x!\n');
    });
  });
  await new Promise<void>((r) => srv.listen(path, r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const answer = await haproxyCommand(path, 'set ssl cert /c/a.pem', { payload: 'LINE1\n\nLINE2\r\n' });
  assert.equal(answer, 'Transaction created for certificate x!\n');
  assert.equal(received[0], 'set ssl cert /c/a.pem <<\nLINE1\nLINE2\n\n');
  await assert.rejects(haproxyCommand(join(dir, 'none.sock'), 'show info'), { code: 'HAPROXY_CLI_FAILED' });
  await assert.rejects(haproxyCommand(path, 'show info\nshutdown'), { code: 'HAPROXY_CLI_FAILED' });
});

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

test('BackgroundRetries: after stop(), start() and supersede() do nothing (no timer keeps the process alive)', async () => {
  const r = new BackgroundRetries(silentLogger(), { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 });
  r.start('x', async () => false);
  assert.deepEqual(r.pending(), ['x']);
  await r.stop();
  assert.deepEqual(r.pending(), []);
  r.supersede();
  r.start('y', async () => false);
  assert.deepEqual(r.pending(), [], 'nothing started after stop');
  await r.settled();
});

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
  assert.equal(describeResult({ ...r, code: 2, stderr: 'a\nno config\n' }), 'exit status 2: no config');
});

test('MarathonLbNotifier: malformed percent-escapes in userinfo do not throw; an unparsable URL never shows its password', async (t) => {
  const lb = await httpServer(t, () => 200);
  const n = new MarathonLbNotifier({
    urls: [lb.url.replace('http://', 'http://us%zz:p%zzw@')],
    logger: silentLogger(),
  });
  t.after(() => n.stop());
  assert.deepEqual(await n.notify(change, never()), { ok: true });
  assert.equal(
    lb.hits[0]!.auth,
    `Basic ${Buffer.from('us%zz:p%zzw').toString('base64')}`,
    'undecodable escapes are sent as written',
  );
  let err: unknown;
  try {
    new MarathonLbNotifier({ urls: ['http://user:hunter2@lb:notaport'], logger: silentLogger() });
  } catch (e) {
    err = e;
  }
  assert.equal((err as { code?: string }).code, 'INVALID_LB_URL');
  assert.doesNotMatch(
    JSON.stringify(err, Object.getOwnPropertyNames(err)) + String((err as Error).cause ?? ''),
    /hunter2/,
  );
});

test('mlb stand-in: signals arriving during a reload coalesce into at most one more reload', async (t) => {
  let started = 0;
  const haproxy = {
    reload: async () => {
      started += 1;
      await new Promise((r) => setTimeout(r, 150));
      return { ms: 150, workers: [] };
    },
  } as unknown as HaproxyHandle;
  const lb = await startMlbStandin({ haproxy });
  t.after(() => lb.close());
  const post = (): Promise<number> =>
    fetch(`${lb.url}/_mlb_signal/usr1`, { method: 'POST' }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });
  assert.equal(await post(), 200);
  assert.deepEqual(
    await Promise.all([post(), post(), post(), post()]),
    [200, 200, 200, 200],
    'during the first reload',
  );
  await lb.idle();
  assert.equal(lb.calls.length, 5);
  assert.equal(started, 2, 'the first signal reloads; the 4 during it make exactly one more reload');
  assert.equal(lb.reloads.length, 2);
  assert.equal(await post(), 200);
  await lb.idle();
  assert.equal(started, 3, 'a signal after the reloads finished reloads again');
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
