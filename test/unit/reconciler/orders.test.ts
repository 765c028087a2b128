/**
 * src/reconciler/orders.ts through the Reconciler: whose failure an order's failure is, the order
 * budget charged only for orders the CA accepted, and what the CA issued never lost to a storage failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/lib/errors.js';
import { FakeIssuer, fsError, MemStore, VirtualTime, snap, spec } from '../../support/fakes.js';
import { setup, started } from '../../support/reconciler.js';

const refused = () => new AppError('ACME_NETWORK', 'ACME request failed', { cause: new Error('ECONNREFUSED') });
const problem = (type: string, status: number) =>
  Object.assign(new AppError('ACME_PROBLEM', `ACME ${type}`), { type, detail: type, status });

test('CA down at start: nothing is counted against the certificates, and all resume within seconds of its return', async (t) => {
  const s = started(t, { orderBudget: 10 });
  let down = true;
  s.issuer.down = () => (down ? refused() : undefined);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.r.status().gates?.ca.state === 'waiting', 'orders wait for the CA');
  await s.time.advance(60_000, 100);
  const status = s.r.status();
  assert.deepEqual(
    status.certificates.map((c) => [c.state, c.failures, c.nextAttempt]),
    [
      ['pending', 0, undefined],
      ['pending', 0, undefined],
      ['pending', 0, undefined],
    ],
    'no failure, no backoff',
  );
  assert.match(status.certificates[0]!.job ?? '', /^issue \(waiting for the CA\)/);
  assert.equal(status.gates?.ca.cause?.code, 'ACME_NETWORK');
  assert.equal(s.events.of('backoff').length, 0);
  assert.equal(s.issuer.requests.length, 3, 'no order while the CA is down: only its directory is probed');
  assert.ok(s.issuer.probes >= 12, `probed every few seconds (${s.issuer.probes} probes in 60 s)`);
  assert.deepEqual(s.store.account?.cas?.[s.issuer.directoryUrl]?.newOrders ?? [], [], 'no budget spent');
  down = false;
  const back = s.time.now();
  await s.time.until(() => s.store.certs.size === 3, 'all three installed', 10_000);
  assert.ok(s.time.now() - back <= 5100, `resumed ${s.time.now() - back} ms after the CA came back`);
  assert.equal(s.r.status().gates?.ca.state, 'open');
  assert.equal(s.store.account?.cas?.[s.issuer.directoryUrl]?.newOrders.length, 3, 'charged once each');
  await s.stop();
});

test('a failed shared step (the account lookup in a burst of bad nonces) fails no queued order', async (t) => {
  const s = started(t);
  let failures = 3;
  s.issuer.failBefore = () => (failures-- > 0 ? problem('badNonce', 400) : undefined);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'all installed', 30_000);
  assert.equal(s.events.of('backoff').length, 0, 'no certificate was charged');
  assert.ok(
    [...s.store.states.values()].every((st) => st.failures === 0),
    'no failure recorded',
  );
  await s.stop();
});

test('the budget is charged only for orders the CA accepted', async (t) => {
  const s = started(t, { orderBudget: 2 });
  const ca = s.issuer.directoryUrl;
  const charges = () => s.store.account?.cas?.[ca]?.newOrders.length ?? 0;
  // newOrder answered 503: not accepted, not charged, not counted against the certificate.
  let unavailable = true;
  s.issuer.refuse = (r) =>
    r.names[0] === 'a.example' && unavailable
      ? problem('serverInternal', 503)
      : r.names[0] === 'b.example'
        ? problem('rejectedIdentifier', 400)
        : undefined;
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.events.of('backoff').length === 1, 'b.example refused');
  assert.equal(s.events.of('backoff')[0]?.name, 'b.example', "the refusal of its names is the certificate's");
  assert.equal(charges(), 0, 'neither was accepted: no charge');
  unavailable = false;
  await s.time.until(() => s.store.certs.has('a.example'), 'a.example issued once the CA answers');
  assert.equal(charges(), 1);
  // Accepted, then failed validation: charged (the CA counts it), and counted against the certificate.
  s.issuer.fail = () => problem('unauthorized', 0);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.events.of('backoff').some((e) => e.name === 'c.example'), 'c.example failed');
  assert.equal(charges(), 2);
  await s.stop();
});

test('storage not writable: nothing is ordered, the errno is shown, and orders resume once it is writable', async (t) => {
  const s = started(t);
  s.store.broken = 'ENOSPC';
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.r.status().gates?.storage.state === 'waiting', 'orders wait for the storage');
  await s.time.advance(30_000, 100);
  assert.equal(s.issuer.requests.length, 0, 'the CA was not asked for anything');
  assert.equal(s.r.status().gates?.storage.cause?.errno, 'ENOSPC');
  assert.match(s.r.status().certificates[0]!.job ?? '', /waiting for the storage/);
  assert.equal(s.events.of('backoff').length, 0);
  s.store.broken = undefined;
  await s.time.until(() => s.store.certs.size === 2, 'both installed', 10_000);
  assert.equal(s.issuer.requests.length, 2);
  await s.stop();
});

test('a certificate whose write failed is kept and installed when the storage recovers, never ordered again', async (t) => {
  const s = started(t);
  // The disk fills while the order runs: the CA issues, the write fails.
  s.issuer.fail = () => {
    s.store.broken = 'EROFS';
    s.store.keptBroken = true;
    return undefined;
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.r.status().certificates[0]?.kept === true, 'kept');
  assert.equal(s.store.kept.has('a.example'), false, 'the state area is read-only too: kept in memory');
  await s.time.advance(30_000, 100);
  assert.equal(s.issuer.requests.length, 1, 'not ordered again while the storage is down');
  assert.match(s.r.status().certificates[0]!.job ?? '', /^install \(waiting for the storage\)/);
  assert.equal(s.events.of('backoff').length, 0);
  s.issuer.fail = undefined;
  s.store.broken = undefined;
  s.store.keptBroken = false;
  await s.time.until(() => s.store.certs.has('a.example'), 'installed', 10_000);
  assert.equal(s.store.certs.get('a.example')?.serial, 'serial-1', 'the certificate issued before');
  assert.equal(s.issuer.requests.length, 1);
  assert.equal(s.r.status().certificates[0]?.kept, undefined);
  await s.time.until(() => s.notifier.calls.at(-1)?.written.includes('a.example') === true, 'and delivered');
  await s.stop();
});

test('a kept certificate survives a restart: installed, not ordered', async (t) => {
  const time = new VirtualTime(t);
  const store = new MemStore(time.now);
  const first = new FakeIssuer();
  first.fail = () => {
    store.broken = 'ENOSPC';
    return undefined;
  };
  // MemStore's kept area still works while `broken` (like a state/ that has room while certs/ has not).
  const s1 = setup(time, {}, store, first);
  s1.r.setSnapshot('marathon', snap(spec('a.example')));
  await time.until(() => store.kept.has('a.example'), 'kept on disk');
  await s1.stop();
  store.broken = undefined;
  const s2 = setup(time, {}, store);
  s2.r.setSnapshot('marathon', snap(spec('a.example')));
  await time.until(() => store.certs.has('a.example'), 'installed after the restart');
  assert.equal(s2.issuer.requests.length, 0, 'the CA was not asked again');
  assert.equal(store.kept.size, 0, 'and the kept copy is gone');
  await s2.stop();
});

test('a kept certificate is let go when its names change (the new set is ordered)', async (t) => {
  const s = started(t);
  s.issuer.fail = (r) => {
    if (r.names.length === 1) s.store.broken = 'ENOSPC';
    return undefined;
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.r.status().certificates[0]?.kept === true, 'kept');
  s.store.broken = undefined;
  s.r.setSnapshot('marathon', snap(spec('a.example', 'www.a.example')));
  await s.time.until(() => s.store.certs.get('a.example')?.names.length === 2, 'the new set installed');
  assert.equal(s.issuer.requests.length, 2);
  assert.equal(s.store.kept.size, 0);
  await s.stop();
});

test('a new order is charged on disk before newOrder is sent (a kill at any moment loses no charge)', async (t) => {
  const s = started(t, { orderBudget: 5 });
  const onDiskWhenSent: number[] = [];
  s.issuer.refuse = () => {
    // Called right after `sending()` resolved, when newOrder would be on the wire.
    onDiskWhenSent.push(s.store.account?.cas?.[s.issuer.directoryUrl]?.newOrders.length ?? 0);
    return undefined;
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.certs.has('a.example'), 'installed');
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.certs.has('b.example'), 'installed');
  assert.deepEqual(onDiskWhenSent, [1, 2]);
  await s.stop();
});

test('a write that fails for one name only: that name backs off and is installed later from what was kept', async (t) => {
  const s = started(t, { backoff: { baseMs: 1000, capMs: 1000, factor: 2, jitter: 0 } });
  let inTheWay = true;
  s.store.failInstall = (name) => (name === 'a.example' && inTheWay ? fsError('EISDIR') : undefined);
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => s.store.certs.has('b.example'), 'the other name is not held up');
  await s.time.until(() => s.events.of('backoff').some((e) => e.name === 'a.example'), 'a.example backs off');
  assert.equal(s.r.status().gates?.storage.state, 'open', 'the storage as a whole is fine');
  assert.equal(s.r.status().certificates[0]?.kept, true);
  inTheWay = false;
  await s.time.until(() => s.store.certs.has('a.example'), 'installed after its backoff', 5000);
  assert.equal(s.issuer.requests.filter((r) => r.names[0] === 'a.example').length, 1, 'never ordered again');
  await s.stop();
});
