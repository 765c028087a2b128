import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import { MarathonLbNotifier } from '../../../src/notify/marathon-lb.js';
import { freePort, type HaproxyHandle } from '../../support/haproxy.js';
import { startMlbStandin } from '../../support/mlb-standin.js';
import { change, never, fast, httpServer, memoryLogger } from '../../support/notify-fakes.js';

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
    // generous, so a loaded machine answers the 500 well within it; the silent one still times out
    timeoutMs: 1500,
    retry: { baseMs: 5000, capMs: 5000, factor: 1, jitter: 0 },
  });
  t.after(() => n.stop());
  const t0 = Date.now();
  const res = await n.notify(change, never());
  assert.ok(Date.now() - t0 < 15_000, 'the timeout bounds the call: it does not hang on the silent LB');
  assert.equal(res.ok, false);
  assert.match(res.detail!, /3\/3 marathon-lb instances failed/);
  assert.match(res.detail!, /HTTP 500/);
  assert.match(res.detail!, /ECONNREFUSED/);
  assert.match(res.detail!, /timeout after 1500 ms/);
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
  // The first reload lasts until the test has sent its four signals (no race with a fixed duration).
  let finishFirst: () => void = () => undefined;
  const firstDone = new Promise<void>((r) => {
    finishFirst = r;
  });
  const haproxy = {
    reload: async () => {
      started += 1;
      if (started === 1) await firstDone;
      return { ms: 0, workers: [] };
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
  finishFirst();
  await lb.idle();
  assert.equal(lb.calls.length, 5);
  assert.equal(started, 2, 'the first signal reloads; the 4 during it make exactly one more reload');
  assert.equal(lb.reloads.length, 2);
  assert.equal(await post(), 200);
  await lb.idle();
  assert.equal(started, 3, 'a signal after the reloads finished reloads again');
});

test('MarathonLbNotifier: a redirect is never followed, so the credentials never leave for another origin', async (t) => {
  const elsewhere = await httpServer(t, () => 200);
  const { createServer } = await import('node:http');
  const redirector = createServer((req, res) => {
    res.writeHead(307, { location: `${elsewhere.url}${req.url ?? '/'}` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        redirector.closeAllConnections();
        redirector.close(() => r());
      }),
  );
  const a = redirector.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const n = new MarathonLbNotifier({
    urls: [`http://u:secret@127.0.0.1:${port}`],
    logger: silentLogger(),
    retry: { baseMs: 60_000, capMs: 60_000, factor: 1, jitter: 0 },
  });
  t.after(() => n.stop());
  const res = await n.notify(change, never());
  assert.equal(res.ok, false);
  assert.match(res.detail!, /HTTP 307 redirect, not followed/);
  assert.doesNotMatch(res.detail!, /secret/);
  assert.deepEqual(elsewhere.hits, [], 'nothing reached the redirect target');
});
