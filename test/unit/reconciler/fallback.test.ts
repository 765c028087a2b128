/**
 * Several CAs (issue 13) through the Reconciler: an order falls back along the configured CAs in the
 * same attempt for failures another CA could fix, never for our own validation failures; each CA has
 * its own gate and budget; the issuing CA is recorded; renewals go back to the preferred CA; a
 * certificate whose CA is no longer configured is replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/lib/errors.js';
import type { CaChoice } from '../../../src/reconciler/cas.js';
import { DAY, FakeIssuer, MemStore, snap, spec, VirtualTime } from '../../support/fakes.js';
import { setup } from '../../support/reconciler.js';

const A = 'https://ca-a.test/dir';
const B = 'https://ca-b.test/dir';
const refused = () => new AppError('ACME_NETWORK', 'ACME request failed', { cause: new Error('ECONNREFUSED') });
const problem = (type: string, status: number, code = 'ACME_PROBLEM') =>
  Object.assign(new AppError(code as 'ACME_PROBLEM', `ACME ${type}`), { type, detail: type, status });

function twoCas(t: Parameters<typeof setup>[0] extends infer _ ? import('node:test').TestContext : never, budget = 0) {
  const time = new VirtualTime(t);
  const a = new FakeIssuer(A);
  const b = new FakeIssuer(B);
  a.prefix = 'a-';
  b.prefix = 'b-';
  const cas: CaChoice[] = [
    { issuer: a, production: true },
    { issuer: b, production: true },
  ];
  const s = setup(time, { cas, orderBudget: budget }, new MemStore(time.now), a);
  return { ...s, time, a, b };
}

test('CA 0 unreachable: certificates come from CA 1, nothing counted; CA 0 back: the next renewal comes from CA 0', async (t) => {
  const s = twoCas(t);
  let down = true;
  s.a.down = () => (down ? refused() : undefined);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.certs.size === 2, 'both installed');
  assert.deepEqual(
    [...s.store.certs.values()].map((c) => c.serial.slice(0, 2)),
    ['b-', 'b-'],
    'issued by CA 1',
  );
  assert.equal(s.store.states.get('a.example')?.issuer, B, 'the issuing CA is recorded');
  const status = s.r.status();
  assert.equal(status.gates?.cas?.[A]?.state, 'waiting', "CA 0's gate is closed");
  assert.equal(status.gates?.cas?.[B]?.state, 'open');
  assert.equal(status.gates?.ca.state, 'open', 'orders go on: some CA takes them');
  assert.equal(status.certificates[0]!.issuer, B);
  assert.deepEqual(
    status.certificates.map((c) => c.failures),
    [0, 0],
    'the outage is counted against no certificate',
  );
  assert.equal(s.events.of('installed')[0]?.issuer, B);
  down = false;
  await s.time.advance(10_000, 50);
  assert.equal(s.r.status().gates?.cas?.[A]?.state, 'open', 'CA 0 probed and open again');
  assert.equal(s.store.states.get('a.example')?.issuer, B, 'not replaced before its renewal');
  const before = s.a.requests.length;
  await s.time.advance(61 * DAY, 3600_000);
  await s.time.until(() => s.store.states.get('a.example')?.issuer === A, 'renewed at CA 0', 60_000);
  assert.ok(s.a.requests.length > before);
  assert.equal(s.store.certs.get('a.example')?.serial.slice(0, 2), 'a-');
  await s.stop();
});

test('which failures at CA 0 are tried at CA 1 in the same attempt', async (t) => {
  const cases: Array<[string, () => Error, boolean]> = [
    ['rejectedIdentifier on newOrder', () => problem('rejectedIdentifier', 400), true],
    ['rateLimited', () => problem('rateLimited', 429), true],
    ['5xx on newOrder', () => problem('serverInternal', 503), true],
    ['caa', () => problem('caa', 0, 'ACME_AUTHORIZATION_FAILED'), true],
    ['validation failure (unauthorized)', () => problem('unauthorized', 0, 'ACME_AUTHORIZATION_FAILED'), false],
    ['validation failure (connection)', () => problem('connection', 0, 'ACME_AUTHORIZATION_FAILED'), false],
  ];
  for (const [name, err, fallsThrough] of cases) {
    await t.test(name, async (tt) => {
      const s = twoCas(tt);
      // A refusal on newOrder (nothing created) or a failure of the created order (authorizations).
      if (/newOrder|rateLimited/.test(name)) s.a.refuse = () => err();
      else s.a.fail = () => err();
      s.r.setSnapshot('marathon', snap(spec('a.example')));
      if (fallsThrough) {
        await s.time.until(() => s.store.certs.size === 1, 'installed from CA 1');
        assert.equal(s.store.states.get('a.example')?.issuer, B);
        assert.equal(s.store.states.get('a.example')?.failures, 0);
        // A 5xx is an outage of CA 0 (its gate closes, probed); the others are about these names only.
        const gate = name.startsWith('5xx') ? 'waiting' : 'open';
        assert.equal(s.r.status().gates?.cas?.[A]?.state, gate, "CA 0's gate");
      } else {
        await s.time.until(() => s.events.of('backoff').length === 1, 'backed off');
        assert.equal(s.b.requests.length, 0, 'never tried at CA 1');
        assert.equal(s.store.certs.size, 0);
        assert.equal(s.store.states.get('a.example')?.failures, 1);
      }
      await s.stop();
    });
  }
});

test('each CA has its own budget: a new order at CA 1 takes a place in CA 1, CA 0 keeps only what it accepted', async (t) => {
  const s = twoCas(t, 10);
  s.a.refuse = () => problem('rejectedIdentifier', 400);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.certs.size === 2, 'both installed');
  assert.deepEqual(s.store.account?.cas?.[A]?.newOrders ?? [], [], 'refused at CA 0: given back');
  assert.equal(s.store.account?.cas?.[B]?.newOrders.length, 2, 'charged at CA 1');
  await s.stop();
});

test('a certificate whose CA is no longer configured is replaced; the old one is served until then', async (t) => {
  const time = new VirtualTime(t);
  const store = new MemStore(time.now);
  const old = setup(time, { cas: [{ issuer: new FakeIssuer(A), production: true }] }, store, new FakeIssuer(A));
  old.r.setSnapshot('marathon', snap(spec('a.example')));
  await time.until(() => store.certs.size === 1, 'installed from A');
  await old.stop();
  const b = new FakeIssuer(B);
  b.prefix = 'b-';
  const s = setup(time, { cas: [{ issuer: b, production: true }] }, store, b);
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await time.until(() => store.states.get('a.example')?.issuer === B, 'replaced from B');
  assert.equal(store.certs.get('a.example')?.serial.slice(0, 2), 'b-');
  assert.equal(s.events.of('requested')[0]?.reason, 'issuing CA no longer configured');
  await s.stop();
});

test("ARI per CA: asked of the issuing CA only; `replaces` only to that CA, never another CA's id", async (t) => {
  const s = twoCas(t);
  const now = Date.now();
  let down = true;
  s.a.down = () => (down ? refused() : undefined);
  const asked = { a: 0, b: 0 };
  s.a.ari = () => {
    asked.a++;
    return null;
  };
  // CA 1's certificate has its renewal window open already.
  s.b.ari = () => {
    asked.b++;
    return { start: new Date(now - 1000), end: new Date(now - 10), retryAfterMs: 3600_000 };
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.states.get('a.example')?.issuer === B, 'issued by CA 1');
  down = false;
  await s.time.until(() => s.store.states.get('a.example')?.issuer === A, 'renewed (ARI window) at CA 0', 30_000);
  assert.ok(asked.b >= 1, 'ARI asked of CA 1, which issued the certificate');
  assert.equal(asked.a, 0, 'never of CA 0 for a certificate of CA 1');
  const renewal = s.a.requests.at(-1)!;
  assert.equal(renewal.replaces, undefined, "CA 0 is never sent CA 1's certificate id");
  await s.stop();
});

test('a renewal that falls back to the issuing CA sends `replaces` there', async (t) => {
  const s = twoCas(t);
  const now = Date.now();
  s.a.refuse = () => problem('rejectedIdentifier', 400);
  s.b.ari = (certId) =>
    certId === 'id-b-serial-1'
      ? { start: new Date(now - 1000), end: new Date(now - 10), retryAfterMs: 3600_000 }
      : { start: new Date(now + 60 * DAY), end: new Date(now + 61 * DAY) };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.certs.get('a.example')?.serial === 'b-serial-2', 'renewed at CA 1', 30_000);
  assert.equal(s.b.requests.at(-1)?.replaces, 'id-b-serial-1');
  assert.ok(s.a.requests.every((r) => r.replaces === undefined));
  await s.stop();
});
