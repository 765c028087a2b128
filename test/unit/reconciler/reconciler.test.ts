import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change } from '../../../src/domain/contracts.js';
import { AppError } from '../../../src/lib/errors.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import { DAY, MemStore, VirtualTime, snap, spec, storedCert } from '../../support/fakes.js';
import { setup, started } from '../../support/reconciler.js';

test('new names are ordered, installed, and the load balancers are told once per batch', async (t) => {
  const s = started(t);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example', 'www.b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'three certificates');
  await s.time.until(() => s.notifier.calls.length >= 1, 'a notification');
  await s.time.advance(100);
  assert.equal(s.notifier.calls.length, 1, 'one batch, one notification');
  assert.deepEqual([...s.notifier.calls[0]!.written].sort(), ['a.example', 'b.example', 'c.example']);
  assert.deepEqual(s.issuer.requests.find((r) => r.names[0] === 'b.example')?.names, ['b.example', 'www.b.example']);
  assert.equal(s.issuer.requests.length, 3, 'no duplicate orders');
  assert.deepEqual(
    s.r.status().certificates.map((c) => c.state),
    ['valid', 'valid', 'valid'],
  );
  assert.equal(s.store.states.get('a.example')?.keyType, 'ec256');
  assert.equal(s.store.states.get('a.example')?.issuer, s.issuer.directoryUrl, 'the issuing CA is recorded');
  await s.stop();
});

test('the lifecycle of a certificate goes out as events, in order', async (t) => {
  const s = started(t);
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.events.of('delivered').length === 1, 'delivered');
  assert.deepEqual(
    s.events.events.map((e) => e.type),
    ['requested', 'ordered', 'installed', 'renewal_scheduled', 'delivered'],
  );
  assert.equal(s.events.of('ordered')[0]?.order_url, 'https://ca.test/order/1', 'the order URL the CA gave');
  const [requested] = s.events.of('requested');
  assert.equal(requested?.kind, 'issue');
  assert.equal(requested?.attempt, 1);
  assert.equal(requested?.issuer, s.issuer.directoryUrl);
  const [installed] = s.events.of('installed');
  assert.equal(installed?.serial, 'serial-1');
  assert.equal(installed?.issuer, s.issuer.directoryUrl);
  assert.equal(installed?.at, new Date(Date.parse(installed!.at)).toISOString(), 'an ISO time');
  const [delivered] = s.events.of('delivered');
  assert.deepEqual(
    { ok: delivered?.ok, targets: delivered?.targets, written: delivered?.written },
    {
      ok: true,
      targets: 'fake',
      written: ['a.example'],
    },
  );
  const ids = s.events.events.map((e) => e.id);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  await s.stop();
});

test('a failing order backs off (no hot loop) and records the problem', async (t) => {
  const s = started(t);
  s.issuer.fail = () =>
    Object.assign(new Error('rate limited'), {
      code: 'ACME_PROBLEM',
      type: 'rateLimited',
      detail: 'too many',
      retryAfter: new Date(Date.now() + 3 * 3600_000),
    });
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => (s.store.states.get('a.example')?.failures ?? 0) === 1, 'a recorded failure');
  for (let i = 0; i < 10; i++) s.r.trigger();
  await s.time.advance(200);
  assert.equal(s.issuer.requests.length, 1, 'no retry before the backoff ends');
  const st = s.store.states.get('a.example')!;
  assert.equal(st.lastError?.type, 'rateLimited');
  assert.ok(Date.parse(st.nextAttempt!) >= Date.now() + 2.9 * 3600_000, "the CA's Retry-After is honoured");
  const cs = s.r.status().certificates[0]!;
  assert.equal(cs.state, 'failing');
  assert.ok(cs.nextAttempt);
  const [backoff] = s.events.of('backoff');
  assert.equal(backoff?.problem_type, 'rateLimited');
  assert.equal(backoff?.next_attempt, st.nextAttempt);
  await s.stop();
});

test('an unwanted certificate is archived after the grace, and nothing before every source reported', async (t) => {
  const s = started(t, { removeAfterMs: 60_000 });
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'installed');
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.states.get('c.example')?.unwantedSince !== undefined, 'grace started');
  assert.equal(s.store.archived.length, 0);
  assert.equal(s.events.of('removal_scheduled')[0]?.name, 'c.example');
  await s.time.advance(61_000, 1000);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.archived.includes('c.example'), 'archived');
  await s.time.until(() => s.notifier.calls.some((c) => c.removed.includes('c.example')), 'removal notified');
  assert.equal(s.store.states.has('c.example'), false);
  assert.equal(s.events.of('removed')[0]?.name, 'c.example');
  await s.stop();
});

test('certificates on disk are not touched before the first snapshot', async (t) => {
  const s = started(t, { removeAfterMs: 0 });
  s.store.certs.set('old.example', {
    name: 'old.example',
    names: ['old.example'],
    notBefore: new Date(Date.now()),
    notAfter: new Date(Date.now() + 90 * DAY),
    serial: 's',
    issuer: 'CN=x',
    keyType: 'rsa2048',
    selfSigned: false,
  });
  await s.time.settle(s.r.refresh(), 'refreshed');
  await s.time.advance(100);
  assert.equal(s.store.archived.length, 0);
  assert.equal(s.store.states.get('old.example')?.unwantedSince, undefined);
  assert.equal(s.r.status().certificates[0]?.state, 'unwanted');
  await s.stop();
});

test('the order budget spreads new orders out instead of sending them all', async (t) => {
  const s = started(t, { orderBudget: 2 });
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example'), spec('d.example')));
  await s.time.until(() => s.store.certs.size === 2, 'two installed');
  await s.time.advance(150);
  assert.equal(s.issuer.requests.length, 2);
  assert.equal(s.r.status().queue.queued, 2, 'the rest waits in the queue');
  await s.stop();
});

test('ARI: a window in the past renews with `replaces`', async (t) => {
  const s = started(t);
  const now = Date.now();
  // The first certificate's window is already open; its successor's is in two months.
  s.issuer.ari = (certId) =>
    certId === 'id-serial-1'
      ? { start: new Date(now - 1000), end: new Date(now - 10), retryAfterMs: 3600_000 }
      : { start: new Date(now + 60 * DAY), end: new Date(now + 61 * DAY) };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.issuer.requests.length === 2, 'renewed');
  assert.equal(s.issuer.requests[1]!.replaces, 'id-serial-1');
  await s.time.until(() => s.store.certs.get('a.example')?.serial === 'serial-2', 'new certificate installed');
  assert.equal(s.r.status().ariSupported, true);
  await s.time.until(() => s.store.states.get('a.example')?.ari !== undefined, 'ARI asked for the new certificate');
  const renewAt = Date.parse(s.store.states.get('a.example')!.renewAt!);
  assert.ok(renewAt >= now + 60 * DAY && renewAt <= now + 61 * DAY, 'renewal time inside the new window');
  assert.equal(s.issuer.requests.length, 2, 'no further renewal');
  const windows = s.events.of('renewal_scheduled').filter((e) => e.window);
  assert.equal(windows.at(-1)?.renew_at, s.store.states.get('a.example')!.renewAt);
  await s.stop();
});

test('the mass-removal guard holds, and an operator release lets it through', async (t) => {
  const s = started(t, { removeAfterMs: 1000 });
  const all = ['a', 'b', 'c', 'd'].map((n) => spec(`${n}.example`));
  s.r.setSnapshot('marathon', snap(...all));
  await s.time.until(() => s.store.certs.size === 4, 'installed');
  s.r.setSnapshot('marathon', snap());
  await s.time.until(() => [...s.store.states.values()].every((x) => x.unwantedSince), 'grace started');
  await s.time.advance(2000, 100);
  s.r.setSnapshot('marathon', snap());
  await s.time.until(() => s.r.status().heldRemovals.length === 4, 'held');
  assert.equal(s.store.archived.length, 0);
  assert.deepEqual(
    s.events.of('removal_held').map((e) => e.name),
    ['a.example', 'b.example', 'c.example', 'd.example'],
  );
  assert.deepEqual(s.r.releaseRemovals().sort(), ['a.example', 'b.example', 'c.example', 'd.example']);
  await s.time.until(() => s.store.archived.length === 4, 'archived after release');
  await s.stop();
});

test('a removal waiting for a fresh snapshot asks the sources for one', async (t) => {
  let resyncs = 0;
  const s = started(t, {
    removeAfterMs: 1000,
    requestResync: () => {
      resyncs++;
    },
  });
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'installed');
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.states.get('c.example')?.unwantedSince !== undefined, 'grace started');
  await s.time.until(() => resyncs === 1, 'a resync requested once the grace ended');
  assert.equal(s.store.archived.length, 0, 'not removed on the strength of an old snapshot');
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.archived.includes('c.example'), 'removed after the fresh snapshot');
  await s.stop();
});

test('a removal grace that ends is acted on without any outside trigger; the pending order goes too', async (t) => {
  const wanted = snap(spec('a.example'), spec('b.example'));
  let r: Reconciler | undefined;
  // Like a real source: a resync request produces a fresh snapshot.
  const s = started(t, {
    removeAfterMs: 300,
    requestResync: () => setTimeout(() => r!.setSnapshot('marathon', wanted), 10),
  });
  r = s.r;
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'installed');
  // An order a dead leader left for the name (orders/c.example.json): it goes with the certificate.
  s.store.pendingOrders.set('c.example', { orderUrl: 'https://ca.test/order/1', keyPem: 'KEY', names: ['c.example'] });
  s.r.setSnapshot('marathon', wanted);
  // Nothing else happens from here: the reconciler's own wake-up at the deadline must do it.
  await s.time.until(() => s.store.archived.includes('c.example'), 'archived once the grace ended', 3000);
  await s.time.until(() => !s.store.pendingOrders.has('c.example'), 'its pending order deleted', 3000);
  await s.stop();
});

test('label problems of every source are counted by code in one gauge', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  const s = started(t, { metrics, sources: ['marathon', 'static'] });
  s.r.setSnapshot('marathon', {
    specs: [spec('a.example')],
    problems: [{ source: 'marathon', appId: '/x', code: 'INVALID_NAME', reason: 'r' }],
  });
  s.r.setSnapshot('static', {
    specs: [],
    problems: [
      { source: 'static', code: 'INVALID_NAME', reason: 'r' },
      { source: 'static', code: 'DOMAIN_NOT_ALLOWED', reason: 'r' },
    ],
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /marathon_acme_label_problems\{code="INVALID_NAME"\} 2/);
  assert.match(text, /marathon_acme_label_problems\{code="DOMAIN_NOT_ALLOWED"\} 1/);
  assert.equal(s.r.status().problems.length, 3);
  await s.stop();
});

test('--revoke-removed revokes (cessationOfOperation) before archiving; a failed revocation still archives', async (t) => {
  const s = started(t, { removeAfterMs: 1000, revokeRemoved: true });
  const revokeReasons: number[] = [];
  const realRevoke = s.issuer.revoke.bind(s.issuer);
  s.issuer.revoke = async (pem: string, reason: number) => {
    revokeReasons.push(reason);
    if (pem === 'serial-2') throw new Error('CA says no');
    return realRevoke(pem);
  };
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'installed');
  const serials = new Map([...s.store.certs.values()].map((c) => [c.name, c.serial]));
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(
    () =>
      s.store.states.get('b.example')?.unwantedSince !== undefined &&
      s.store.states.get('c.example')?.unwantedSince !== undefined,
    'grace started',
  );
  await s.time.advance(2000, 100);
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.archived.length === 2, 'both archived');
  assert.deepEqual(revokeReasons, [5, 5]);
  const revokedOk = s.issuer.revoked;
  assert.equal(revokedOk.length, 1, 'one revocation succeeded, the failing one was still archived');
  assert.ok([serials.get('b.example'), serials.get('c.example')].includes(revokedOk[0]));
  assert.deepEqual(
    s.events.of('revoked').map((e) => e.serial),
    revokedOk,
  );
  await s.stop();
});

test('a failed delivery is recorded per certificate and cleared by the next successful one', async (t) => {
  const s = started(t);
  let ok = false;
  s.notifier.notify = async (c: Change) => {
    s.notifier.calls.push(c);
    return ok ? { ok: true } : { ok: false, detail: 'all LBs down' };
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.states.get('a.example')?.deliveryPending === true, 'delivery marked pending');
  assert.equal(s.r.status().certificates[0]!.deliveryPending, true);
  assert.equal(s.store.certs.has('a.example'), true, 'the certificate stays written');
  ok = true;
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.notifier.calls.length === 2, 'second delivery');
  await s.time.until(
    () => s.store.states.get('a.example')?.deliveryPending === undefined,
    'cleared by the successful reload',
  );
  await s.stop();
});

test('the order budget survives a restart, kept per CA', async (t) => {
  const time = new VirtualTime(t);
  const t1 = setup(time, { orderBudget: 2 });
  t1.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await time.until(() => t1.store.certs.size === 2, 'two installed');
  const ca = t1.issuer.directoryUrl;
  await time.until(() => t1.store.account?.cas?.[ca]?.newOrders.length === 2, 'budget persisted');
  await t1.stop();
  const t2 = setup(time, { orderBudget: 2 }, t1.store);
  t2.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await time.until(() => t2.r.status().queue.queued === 1, 'c.example queued');
  await time.advance(150);
  assert.equal(t2.issuer.requests.length, 0, 'the orders made before the restart still count');
  await t2.stop();
});

test("the 1.0 account state ({newOrders}) is read as the configured CA's budget", async (t) => {
  const time = new VirtualTime(t);
  const store = new MemStore(time.now);
  const recent = new Date(Date.now() - 60_000).toISOString();
  store.account = { newOrders: [recent] };
  const s = setup(time, { orderBudget: 1 }, store);
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await time.until(() => s.r.status().queue.queued === 1, 'a.example queued');
  await time.advance(150);
  assert.equal(s.issuer.requests.length, 0, 'the order before the upgrade still counts');
  await s.stop();
});

test('a queued order the latest plan no longer wants is withdrawn, never run', async (t) => {
  const s = started(t, { orderBudget: 1 });
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(
    () => s.store.certs.size === 1 && s.r.status().queue.queued === 1,
    'one installed, one waiting for the budget',
  );
  const waiting = s.r.status().certificates.find((c) => c.job?.startsWith('issue (queued)'))!.name;
  const other = waiting === 'a.example' ? 'b.example' : 'a.example';
  s.r.setSnapshot('marathon', snap(spec(other)));
  await s.time.until(() => s.r.status().queue.queued === 0, 'withdrawn from the queue');
  assert.deepEqual(
    s.issuer.requests.map((r) => r.names[0]),
    [other],
    'the withdrawn name was never ordered',
  );
  await s.stop();
});

test("a SAN label headed by another app's name does not break that app's own certificate", async (t) => {
  const s = started(t);
  // /attacker asks for victim.example plus a name it cannot validate; /victim wants its own name.
  s.issuer.fail = (r) =>
    r.names.includes('bad.example')
      ? Object.assign(new AppError('ACME_AUTHORIZATION_FAILED', 'x'), { type: 'unauthorized', detail: 'bad.example' })
      : undefined;
  const attacker = {
    name: 'victim.example',
    names: ['victim.example', 'bad.example'],
    requestedBy: [{ source: 'marathon' as const, appId: '/attacker', portIndex: 0 }],
  };
  s.r.setSnapshot('marathon', { specs: [attacker, spec('victim.example')], problems: [] });
  await s.time.until(() => s.store.certs.has('victim.example'), "the victim's certificate");
  assert.deepEqual(s.store.certs.get('victim.example')?.names, ['victim.example']);
  await s.time.until(() => s.events.of('backoff').some((e) => e.name === 'bad.example'), "the attacker's fails alone");
  assert.deepEqual(
    s.r.status().problems.map((p) => [p.code, p.appId]),
    [['SAN_CONFLICT', '/attacker']],
  );
  await s.stop();
});

test('a SAN set over the CA limit of the profile is a problem, not an order', async (t) => {
  const s = started(t, { profile: 'shortlived' });
  const names = Array.from({ length: 26 }, (_, i) => `n${i}.example`);
  s.r.setSnapshot('marathon', snap(spec(names[0]!, ...names.slice(1)), spec('ok.example')));
  await s.time.until(() => s.store.certs.has('ok.example'), 'the other one is issued');
  await s.time.advance(100);
  assert.deepEqual(
    s.issuer.requests.map((r) => r.names[0]),
    ['ok.example'],
  );
  assert.deepEqual(
    s.r.status().problems.map((p) => p.code),
    ['SAN_TOO_MANY_NAMES'],
  );
  await s.stop();
});

test('a name the CA paused is not retried; its unpause URL is shown; SIGHUP tries it again', async (t) => {
  const s = started(t);
  const url = 'https://portal.letsencrypt.org/sfe/v1/unpause?jwt=x.y.z';
  s.issuer.refuse = () =>
    Object.assign(new AppError('ACME_PROBLEM', 'x'), {
      type: 'rateLimited',
      status: 429,
      detail: `Your account is temporarily prevented from requesting certificates for a.example and possibly others. Please visit: ${url}`,
    });
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.r.status().certificates[0]?.paused === true, 'paused');
  const c = s.r.status().certificates[0]!;
  assert.equal(c.lastError?.unpauseUrl, url);
  assert.ok(Date.parse(c.nextAttempt!) >= Date.now() + 23 * 3600_000, 'held for a day at least');
  await s.time.advance(60_000, 1000);
  assert.equal(s.issuer.requests.length, 1, 'not retried');
  s.issuer.refuse = undefined;
  await s.time.settle(s.r.refresh(), 'SIGHUP');
  await s.time.until(() => s.store.certs.has('a.example'), 'ordered again after SIGHUP');
  assert.equal(s.r.status().certificates[0]?.paused, undefined);
  await s.stop();
});

test('each batch reaches the load balancers about a second after its first install, while other orders still run', async (t) => {
  const s = started(t, { notifyDebounceMs: 1000 });
  const slow = new Set(['slow.example']);
  const issue = s.issuer.issue.bind(s.issuer);
  s.issuer.issue = async (r) => {
    if (slow.has(r.names[0]!)) await new Promise((res) => setTimeout(res, 60_000));
    return issue(r);
  };
  s.r.setSnapshot('marathon', snap(spec('fast.example'), spec('slow.example')));
  await s.time.until(() => s.store.certs.has('fast.example'), 'the fast one installed');
  const installedAt = s.time.now();
  await s.time.until(() => s.notifier.calls.length === 1, 'the first batch', 2000);
  assert.ok(s.time.now() - installedAt <= 1100, 'within the window of its first install');
  assert.deepEqual(s.notifier.calls[0], { written: ['fast.example'], removed: [] });
  assert.equal(s.r.status().queue.running, 1, 'the slow order is still running');
  await s.time.until(() => s.notifier.calls.length === 2, 'the slow one in a later batch', 70_000);
  await s.stop();
});

test("one app's many names cannot make another app wait for the order budget", async (t) => {
  const s = started(t, { orderBudget: 12 });
  const app = (name: string, appId: string) => ({
    name,
    names: [name],
    requestedBy: [{ source: 'marathon' as const, appId, portIndex: 0 }],
  });
  const big = Array.from({ length: 15 }, (_, i) => app(`a${String(i).padStart(2, '0')}.example`, '/aaa-big'));
  s.r.setSnapshot('marathon', { specs: [...big, app('z.example', '/zzz-small')], problems: [] });
  await s.time.until(() => s.store.certs.size === 12, 'the budget spent');
  assert.ok(s.store.certs.has('z.example'), 'the small app got its certificate within the first budget');
  await s.stop();
});

test('at start-up, new names are ordered while the stored bundles are still being read; those wait', async (t) => {
  const time = new VirtualTime(t);
  const store = new MemStore(time.now);
  const now = time.now();
  const old = (name: string) => storedCert(name, now, { certId: `id-old-${name}` });
  store.certs.set('stored.example', old('stored.example'));
  store.certs.set('unwanted.example', old('unwanted.example'));
  store.listDelayMs = 10_000; // reading thousands of bundles
  const s = setup(time, {}, store);
  s.r.setSnapshot('marathon', snap(spec('new.example'), spec('stored.example')));
  await time.until(() => store.certs.get('new.example') !== undefined, 'the new name issued', 2000);
  assert.deepEqual(
    s.issuer.requests.map((r) => r.names[0]),
    ['new.example'],
    'the name with a file is left alone until its bundle is read',
  );
  assert.equal(s.r.status().ready, false, 'still reading certs/');
  assert.equal(store.states.get('unwanted.example'), undefined, 'nothing marked unwanted on a partial reading');
  await time.until(() => s.r.status().ready, 'every bundle read', 15_000);
  await time.until(() => store.states.get('unwanted.example')?.unwantedSince !== undefined, 'then the grace starts');
  await time.advance(100);
  assert.deepEqual(
    s.issuer.requests.map((r) => r.names[0]),
    ['new.example'],
    'the stored certificate is adopted, not ordered',
  );
  await s.stop();
});
