import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reconciler, type ReconcilerOptions } from '../../../src/reconciler/reconciler.js';
import type { Change, Issuer, IssueRequest, Notifier, Store } from '../../../src/domain/contracts.js';
import type {
  AccountState,
  CertSpec,
  CertState,
  IssuedCertificate,
  RenewalInfo,
  Snapshot,
  StoredCert,
} from '../../../src/domain/types.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createMetrics } from '../../../src/lib/metrics.js';

const DAY = 86_400_000;

/** In-memory doubles of the adapters: the reconciler is tested against the contracts alone. */
class MemStore implements Store {
  certs = new Map<string, StoredCert>();
  states = new Map<string, CertState>();
  archived: string[] = [];
  constructor(private readonly clock: () => number) {}
  async init() {}
  async readAccountKey() {
    return null;
  }
  async writeAccountKey() {}
  async list() {
    return { certs: [...this.certs.values()], unmanaged: [] };
  }
  async install(spec: CertSpec, cert: IssuedCertificate): Promise<StoredCert> {
    const now = this.clock();
    const c: StoredCert = {
      name: spec.name,
      names: [...spec.names],
      notBefore: new Date(now),
      notAfter: new Date(now + 90 * DAY),
      serial: cert.certPem,
      issuer: 'CN=Test CA',
      keyType: 'ec256',
      selfSigned: false,
      certPem: cert.certPem,
    };
    this.certs.set(spec.name, c);
    return c;
  }
  async archive(name: string) {
    this.certs.delete(name);
    this.archived.push(name);
  }
  async loadStates() {
    return new Map(this.states);
  }
  async saveState(name: string, s: CertState | null) {
    if (s) this.states.set(name, s);
    else this.states.delete(name);
  }
  account: AccountState | null = null;
  async readAccountState() {
    return this.account;
  }
  async writeAccountState(s: AccountState) {
    this.account = s;
  }
  async checkWritable() {}
}

class FakeIssuer implements Issuer {
  readonly directoryUrl = 'x';
  requests: IssueRequest[] = [];
  fail: ((r: IssueRequest) => Error | undefined) | undefined;
  ari: (certPem: string) => RenewalInfo | null = () => null;
  revoked: string[] = [];
  private serial = 0;
  async issue(r: IssueRequest): Promise<IssuedCertificate> {
    this.requests.push(r);
    await new Promise((res) => setTimeout(res, 5));
    const e = this.fail?.(r);
    if (e) throw e;
    return { keyPem: 'KEY', certPem: `serial-${++this.serial}`, chainPem: '' };
  }
  async renewalInfo(certPem: string) {
    return this.ari(certPem);
  }
  certId(certPem: string) {
    return `id-${certPem}`;
  }
  async revoke(certPem: string, _reason?: number) {
    this.revoked.push(certPem);
  }
  status() {
    return { reachable: true, directoryUrl: 'x' };
  }
}

class FakeNotifier implements Notifier {
  readonly name = 'fake';
  calls: Change[] = [];
  async notify(c: Change) {
    this.calls.push(c);
    return { ok: true };
  }
  async stop() {}
}

const spec = (name: string, ...more: string[]): CertSpec => ({
  name,
  names: [name, ...more],
  requestedBy: [{ source: 'marathon', appId: `/${name}`, portIndex: 0 }],
});
const snap = (...specs: CertSpec[]): Snapshot => ({ specs, problems: [] });

function setup(o: Partial<ReconcilerOptions> = {}, clock = () => Date.now(), store = new MemStore(clock)) {
  const issuer = new FakeIssuer();
  const notifier = new FakeNotifier();
  const ac = new AbortController();
  const r = new Reconciler({
    store,
    issuer,
    notifier,
    logger: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    sources: ['marathon'],
    keyType: 'ec256',
    removeAfterMs: 7 * DAY,
    maxRemovalFraction: 0.5,
    revokeRemoved: false,
    productionCa: true,
    maxConcurrentOrders: 5,
    orderBudget: 0,
    notifyDebounceMs: 20,
    clock,
    ...o,
  });
  const done = r.start(ac.signal);
  return {
    r,
    store,
    issuer,
    notifier,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

async function until(cond: () => boolean, what: string, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('new names are ordered, installed, and the load balancers are told once per batch', async () => {
  const t = setup();
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example', 'www.b.example'), spec('c.example')));
  await until(() => t.store.certs.size === 3, 'three certificates');
  await until(() => t.notifier.calls.length >= 1, 'a notification');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(t.notifier.calls.length, 1, 'one batch, one notification');
  assert.deepEqual([...t.notifier.calls[0]!.written].sort(), ['a.example', 'b.example', 'c.example']);
  assert.deepEqual(t.issuer.requests.find((r) => r.names[0] === 'b.example')?.names, ['b.example', 'www.b.example']);
  assert.equal(t.issuer.requests.length, 3, 'no duplicate orders');
  const st = t.r.status();
  assert.deepEqual(
    st.certificates.map((c) => c.state),
    ['valid', 'valid', 'valid'],
  );
  assert.equal(t.store.states.get('a.example')?.keyType, 'ec256');
  await t.stop();
});

test('a failing order backs off (no hot loop) and records the problem', async () => {
  const t = setup();
  t.issuer.fail = () =>
    Object.assign(new Error('rate limited'), {
      code: 'ACME_PROBLEM',
      type: 'rateLimited',
      detail: 'too many',
      retryAfter: new Date(Date.now() + 3 * 3600_000),
    });
  t.r.setSnapshot('marathon', snap(spec('a.example')));
  await until(() => (t.store.states.get('a.example')?.failures ?? 0) === 1, 'a recorded failure');
  for (let i = 0; i < 10; i++) t.r.trigger();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(t.issuer.requests.length, 1, 'no retry before the backoff ends');
  const s = t.store.states.get('a.example')!;
  assert.equal(s.lastError?.type, 'rateLimited');
  assert.ok(Date.parse(s.nextAttempt!) >= Date.now() + 2.9 * 3600_000, "the CA's Retry-After is honoured");
  const cs = t.r.status().certificates[0]!;
  assert.equal(cs.state, 'failing');
  assert.ok(cs.nextAttempt);
  await t.stop();
});

test('an unwanted certificate is archived after the grace, and nothing before every source reported', async () => {
  let now = Date.now();
  const t = setup({ removeAfterMs: 60_000 }, () => now);
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await until(() => t.store.certs.size === 3, 'installed');
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(() => t.store.states.get('c.example')?.unwantedSince !== undefined, 'grace started');
  assert.equal(t.store.archived.length, 0);
  now += 61_000;
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(() => t.store.archived.includes('c.example'), 'archived');
  await until(() => t.notifier.calls.some((c) => c.removed.includes('c.example')), 'removal notified');
  assert.equal(t.store.states.has('c.example'), false);
  await t.stop();
});

test('certificates on disk are not touched before the first snapshot', async () => {
  const t0 = Date.now();
  const t = setup({ removeAfterMs: 0 });
  t.store.certs.set('old.example', {
    name: 'old.example',
    names: ['old.example'],
    notBefore: new Date(t0),
    notAfter: new Date(t0 + 90 * DAY),
    serial: 's',
    issuer: 'CN=x',
    keyType: 'rsa2048',
    selfSigned: false,
    certPem: 'p',
  });
  await t.r.refresh();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(t.store.archived.length, 0);
  assert.equal(t.store.states.get('old.example')?.unwantedSince, undefined);
  assert.equal(t.r.status().certificates[0]?.state, 'unwanted');
  await t.stop();
});

test('the order budget spreads new orders out instead of sending them all', async () => {
  const t = setup({ orderBudget: 2 });
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example'), spec('d.example')));
  await until(() => t.store.certs.size === 2, 'two installed');
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(t.issuer.requests.length, 2);
  assert.equal(t.r.status().queue.queued, 2, 'the rest waits in the queue');
  await t.stop();
});

test('ARI: a window in the past renews with `replaces`', async () => {
  const t = setup();
  const now = Date.now();
  // The first certificate's window is already open; its successor's is in two months.
  t.issuer.ari = (pem) =>
    pem === 'serial-1'
      ? { start: new Date(now - 1000), end: new Date(now - 10), retryAfterMs: 3600_000 }
      : { start: new Date(now + 60 * DAY), end: new Date(now + 61 * DAY) };
  t.r.setSnapshot('marathon', snap(spec('a.example')));
  await until(() => t.issuer.requests.length === 2, 'renewed');
  assert.equal(t.issuer.requests[1]!.replaces, 'id-serial-1');
  await until(() => t.store.certs.get('a.example')?.serial === 'serial-2', 'new certificate installed');
  assert.equal(t.r.status().ariSupported, true);
  await until(() => t.store.states.get('a.example')?.ari !== undefined, 'ARI asked for the new certificate');
  const renewAt = Date.parse(t.store.states.get('a.example')!.renewAt!);
  assert.ok(renewAt >= now + 60 * DAY && renewAt <= now + 61 * DAY, 'renewal time inside the new window');
  assert.equal(t.issuer.requests.length, 2, 'no further renewal');
  await t.stop();
});

test('the mass-removal guard holds, and an operator release lets it through', async () => {
  let now = Date.now();
  const t = setup({ removeAfterMs: 1000 }, () => now);
  const all = ['a', 'b', 'c', 'd'].map((n) => spec(`${n}.example`));
  t.r.setSnapshot('marathon', snap(...all));
  await until(() => t.store.certs.size === 4, 'installed');
  t.r.setSnapshot('marathon', snap());
  await until(() => [...t.store.states.values()].every((s) => s.unwantedSince), 'grace started');
  now += 2000;
  t.r.setSnapshot('marathon', snap());
  await until(() => t.r.status().heldRemovals.length === 4, 'held');
  assert.equal(t.store.archived.length, 0);
  assert.deepEqual(t.r.releaseRemovals().sort(), ['a.example', 'b.example', 'c.example', 'd.example']);
  await until(() => t.store.archived.length === 4, 'archived after release');
  await t.stop();
});

test('a removal waiting for a fresh snapshot asks the sources for one', async () => {
  let now = Date.now();
  let resyncs = 0;
  const t = setup(
    {
      removeAfterMs: 1000,
      requestResync: () => {
        resyncs++;
      },
    },
    () => now,
  );
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await until(() => t.store.certs.size === 3, 'installed');
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(() => t.store.states.get('c.example')?.unwantedSince !== undefined, 'grace started');
  now += 2000;
  t.r.trigger();
  await until(() => resyncs === 1, 'a resync requested');
  assert.equal(t.store.archived.length, 0, 'not removed on the strength of an old snapshot');
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(() => t.store.archived.includes('c.example'), 'removed after the fresh snapshot');
  await t.stop();
});

test('a removal grace that ends is acted on without any outside trigger', async () => {
  const wanted = snap(spec('a.example'), spec('b.example'));
  let r: Reconciler | undefined;
  // Like a real source: a resync request produces a fresh snapshot.
  const t = setup({
    removeAfterMs: 300,
    requestResync: () => setTimeout(() => r!.setSnapshot('marathon', wanted), 10),
  });
  r = t.r;
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await until(() => t.store.certs.size === 3, 'installed');
  t.r.setSnapshot('marathon', wanted);
  // Nothing else happens from here: the reconciler's own wake-up at the deadline must do it.
  await until(() => t.store.archived.includes('c.example'), 'archived once the grace ended', 3000);
  await t.stop();
});

test('label problems of every source are counted by code in one gauge', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const t = setup({ metrics, sources: ['marathon', 'static'] });
  t.r.setSnapshot('marathon', {
    specs: [spec('a.example')],
    problems: [{ source: 'marathon', appId: '/x', code: 'INVALID_NAME', reason: 'r' }],
  });
  t.r.setSnapshot('static', {
    specs: [],
    problems: [
      { source: 'static', code: 'INVALID_NAME', reason: 'r' },
      { source: 'static', code: 'DOMAIN_NOT_ALLOWED', reason: 'r' },
    ],
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /marathon_acme_label_problems\{code="INVALID_NAME"\} 2/);
  assert.match(text, /marathon_acme_label_problems\{code="DOMAIN_NOT_ALLOWED"\} 1/);
  assert.equal(t.r.status().problems.length, 3);
  await t.stop();
});

test('--revoke-removed revokes (cessationOfOperation) before archiving; a failed revocation still archives', async () => {
  let now = Date.now();
  const t = setup({ removeAfterMs: 1000, revokeRemoved: true }, () => now);
  const revokeReasons: number[] = [];
  const realRevoke = t.issuer.revoke.bind(t.issuer);
  t.issuer.revoke = async (pem: string, reason: number) => {
    revokeReasons.push(reason);
    if (pem === 'serial-2') throw new Error('CA says no');
    return realRevoke(pem);
  };
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await until(() => t.store.certs.size === 3, 'installed');
  const serials = new Map([...t.store.certs.values()].map((c) => [c.name, c.serial]));
  t.r.setSnapshot('marathon', snap(spec('a.example')));
  await until(
    () =>
      t.store.states.get('b.example')?.unwantedSince !== undefined &&
      t.store.states.get('c.example')?.unwantedSince !== undefined,
    'grace started',
  );
  now += 2000;
  t.r.setSnapshot('marathon', snap(spec('a.example')));
  await until(() => t.store.archived.length === 2, 'both archived');
  assert.deepEqual(revokeReasons, [5, 5]);
  const revokedOk = t.issuer.revoked;
  assert.equal(revokedOk.length, 1, 'one revocation succeeded, the failing one was still archived');
  assert.ok([serials.get('b.example'), serials.get('c.example')].includes(revokedOk[0]));
  await t.stop();
});

test('a failed delivery is recorded per certificate and cleared by the next successful one', async () => {
  const t = setup();
  let ok = false;
  t.notifier.notify = async (c: Change) => {
    t.notifier.calls.push(c);
    return ok ? { ok: true } : { ok: false, detail: 'all LBs down' };
  };
  t.r.setSnapshot('marathon', snap(spec('a.example')));
  await until(() => t.store.states.get('a.example')?.deliveryPending === true, 'delivery marked pending');
  assert.equal(t.r.status().certificates[0]!.deliveryPending, true);
  assert.equal(t.store.certs.has('a.example'), true, 'the certificate stays written');
  ok = true;
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(() => t.notifier.calls.length === 2, 'second delivery');
  await until(() => t.store.states.get('a.example')?.deliveryPending === undefined, 'cleared by the successful reload');
  await t.stop();
});

test('the order budget survives a restart', async () => {
  const t1 = setup({ orderBudget: 2 });
  t1.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(() => t1.store.certs.size === 2, 'two installed');
  await until(() => t1.store.account?.newOrders.length === 2, 'budget persisted');
  await t1.stop();
  const t2 = setup({ orderBudget: 2 }, undefined, t1.store);
  t2.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await until(() => t2.r.status().queue.queued === 1, 'c.example queued');
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(t2.issuer.requests.length, 0, 'the orders made before the restart still count');
  await t2.stop();
});

test('a queued order the latest plan no longer wants is withdrawn, never run', async () => {
  const t = setup({ orderBudget: 1 });
  t.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await until(
    () => t.store.certs.size === 1 && t.r.status().queue.queued === 1,
    'one installed, one waiting for the budget',
  );
  const waiting = t.r.status().certificates.find((c) => c.job?.startsWith('issue (queued)'))!.name;
  const other = waiting === 'a.example' ? 'b.example' : 'a.example';
  t.r.setSnapshot('marathon', snap(spec(other)));
  await until(() => t.r.status().queue.queued === 0, 'withdrawn from the queue');
  assert.deepEqual(
    t.issuer.requests.map((r) => r.names[0]),
    [other],
    'the withdrawn name was never ordered',
  );
  await t.stop();
});
