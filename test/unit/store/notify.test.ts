/** Unit tests of the notifiers against local stand-ins (HTTP servers, commands, a fake CLI socket). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Change, Notifier } from '../../../src/domain/contracts.js';
import { createLogger, silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/lib/metrics.js';
import { MarathonLbNotifier } from '../../../src/notify/marathon-lb.js';
import { CommandNotifier } from '../../../src/notify/command.js';
import { FanoutNotifier } from '../../../src/notify/fanout.js';
import { haproxyCommand } from '../../../src/notify/haproxy-cli.js';
import { buildNotifier, NoopNotifier } from '../../../src/notify/build.js';
import { freePort } from '../../support/haproxy.js';

const change: Change = { written: ['a.example.test', 'b.example.test'], removed: ['old.example.test'] };
const never = (): AbortSignal => new AbortController().signal;
const fast = { baseMs: 20, capMs: 50, factor: 2, jitter: 0 };

interface Hit { method: string; url: string; auth: string | undefined }
async function httpServer(t: { after: (fn: () => Promise<void>) => void }, status: () => number | null): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const srv: Server = createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    const s = status();
    if (s === null) return; // never answer
    res.writeHead(s).end('Sent SIGUSR1 signal to marathon-lb');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  const a = srv.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, hits };
}

function memoryLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let out = '';
  const destination = new Writable({ write(chunk, _e, cb) { out += chunk.toString(); cb(); } });
  return { logger: createLogger({ level: 'debug', destination }), lines: () => out };
}

test('MarathonLbNotifier: one POST per LB to /_mlb_signal/usr1, userinfo as Basic auth and never logged', async (t) => {
  const lb = await httpServer(t, () => 200);
  const { logger, lines } = memoryLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const n = new MarathonLbNotifier({ urls: [lb.url.replace('http://', 'http://us%40er:p%3Ass@') + '/some/base/path?x=1'], logger, metrics });
  t.after(() => n.stop());
  assert.deepEqual(await n.notify(change, never()), { ok: true });
  assert.deepEqual(lb.hits, [{ method: 'POST', url: '/_mlb_signal/usr1', auth: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}` }]);
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
  const n = new MarathonLbNotifier({ urls: [bad.url, silent.url, `http://127.0.0.1:${closed}`], logger: silentLogger(), timeoutMs: 200, retry: { baseMs: 5000, capMs: 5000, factor: 1, jitter: 0 } });
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
  const n = new MarathonLbNotifier({ urls: [lb.url], logger: silentLogger(), retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 } });
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
  setTimeout(() => { status = 200; }, 100);
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
  assert.throws(() => new MarathonLbNotifier({ urls: ['not a url'], logger: silentLogger() }), { code: 'INVALID_LB_URL' });
  assert.throws(() => new MarathonLbNotifier({ urls: ['ftp://x'], logger: silentLogger() }), { code: 'INVALID_LB_URL' });
});

test('CommandNotifier: argv without a shell, changed names in the environment', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  // sh is the program here (argv[0]); the notifier itself never uses a shell
  const n = new CommandNotifier({ argv: ['/bin/sh', '-c', 'printf "%s|%s|%s|%s" "$MARATHON_ACME_WRITTEN" "$MARATHON_ACME_REMOVED" "$MARATHON_ACME_CHANGED" "$1" > "$OUT"', 'sh', '$HOME;`id`'], env: { OUT: out }, logger: silentLogger() });
  assert.deepEqual(await n.notify(change, never()), { ok: true });
  assert.equal(await readFile(out, 'utf8'), 'a.example.test b.example.test|old.example.test|a.example.test b.example.test old.example.test|$HOME;`id`');
  await n.stop();
});

test('CommandNotifier: exit status, stderr, timeout and a missing program are failures, retried until success', async (t) => {
  const { logger, lines } = memoryLogger();
  const failing: CommandNotifier = new CommandNotifier({ argv: ['/bin/sh', '-c', 'echo "reload refused: bad config" >&2; exit 3'], logger, retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 } });
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
  const eventually = new CommandNotifier({ argv: ['/bin/sh', '-c', `test -e ${flag} || { touch ${flag}; exit 1; }`], logger: silentLogger(), retry: fast });
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
  assert.deepEqual(await new FanoutNotifier([fake('a', true), fake('b', false)]).notify(change, never()), { ok: false, detail: 'b: nope' });
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
  const both = buildNotifier({ ...base, lb: ['http://lb:9090'], notifyCommand: ['/bin/true'], haproxySocket: '/run/haproxy.sock' }, logger);
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
    c.on('end', () => { received.push(buf); c.end('Transaction created for certificate x!\n'); });
  });
  await new Promise<void>((r) => srv.listen(path, r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const answer = await haproxyCommand(path, 'set ssl cert /c/a.pem', { payload: 'LINE1\n\nLINE2\r\n' });
  assert.equal(answer, 'Transaction created for certificate x!\n');
  assert.equal(received[0], 'set ssl cert /c/a.pem <<\nLINE1\nLINE2\n\n');
  await assert.rejects(haproxyCommand(join(dir, 'none.sock'), 'show info'), { code: 'HAPROXY_CLI_FAILED' });
  await assert.rejects(haproxyCommand(path, 'show info\nshutdown'), { code: 'HAPROXY_CLI_FAILED' });
});
