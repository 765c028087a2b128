import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type PlanInput, type PlanPolicy } from '../../../src/domain/plan.js';
import { sameNames } from '../../../src/domain/name-rules.js';
import {
  chooseRenewalTime,
  recordFailure,
  recordRenewalInfo,
  recordSuccess,
  MAX_FAILED_VALIDATIONS_PER_HOUR,
} from '../../../src/domain/policy.js';
import type { CaFacts, CertSpec, CertState, StoredCert } from '../../../src/domain/types.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T12:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

const spec = (name: string, ...more: string[]): CertSpec => ({
  name,
  names: [name, ...more],
  requestedBy: [{ source: 'marathon', appId: '/app', portIndex: 0 }],
});
const cert = (name: string, o: Partial<StoredCert> = {}): StoredCert => ({
  name,
  names: [name],
  notBefore: at(-10),
  notAfter: at(80),
  serial: `ab${name.length}`,
  issuer: "CN=R12,O=Let's Encrypt,C=US",
  keyType: 'ec256',
  selfSigned: false,
  ...o,
});
const state = (name: string, o: Partial<CertState> = {}): CertState => ({
  name,
  names: [name],
  requestedBy: [],
  failures: 0,
  ...o,
});
const ca: CaFacts = { directoryUrl: 'https://ca.example/directory', production: true, ariSupported: false };
const policy: PlanPolicy = {
  removeAfterMs: 7 * DAY,
  keyType: 'ec256',
  maxRemovalFraction: 0.5,
  ca,
};

function input(o: {
  desired?: CertSpec[];
  stored?: StoredCert[];
  states?: CertState[];
  policy?: Partial<PlanPolicy>;
  /** Facts of the CA, over the default (a production CA without ARI). */
  ca?: Partial<CaFacts>;
  desiredAt?: Date | null;
  released?: boolean;
  now?: Date;
}): PlanInput {
  return {
    now: o.now ?? NOW,
    desired: new Map((o.desired ?? []).map((s) => [s.name, s])),
    desiredAt: o.desiredAt === null ? undefined : (o.desiredAt ?? NOW),
    stored: new Map((o.stored ?? []).map((c) => [c.name, c])),
    states: new Map((o.states ?? []).map((s) => [s.name, s])),
    policy: { ...policy, ...o.policy, ca: { ...ca, ...o.ca } },
    removalsReleased: o.released ?? false,
  };
}
const only = (i: PlanInput) => {
  const p = plan(i);
  assert.equal(p.decisions.length, 1, JSON.stringify(p.decisions));
  return p.decisions[0]!;
};

test('plan: one decision per certificate, with a reason', async (t) => {
  const cases: Array<[string, PlanInput, string, RegExp]> = [
    ['missing certificate is issued', input({ desired: [spec('a.example')] }), 'issue', /no certificate/],
    [
      'names changed is reissued',
      input({ desired: [spec('a.example', 'www.a.example')], stored: [cert('a.example')] }),
      'issue',
      /names changed/,
    ],
    [
      'same names in another order are fine',
      input({
        desired: [spec('a.example', 'b.example')],
        stored: [cert('a.example', { names: ['b.example', 'a.example'] })],
      }),
      'none',
      /not due/,
    ],
    [
      'self-signed is replaced',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { selfSigned: true })] }),
      'issue',
      /self-signed/,
    ],
    [
      'staging certificate while production',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { issuer: 'CN=(STAGING) Ersatz Edamame E1' })],
      }),
      'issue',
      /staging certificate while no staging CA is configured/,
    ],
    [
      'staging certificate while staging is fine',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { issuer: 'CN=(STAGING) Ersatz Edamame E1' })],
        ca: { production: false, directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory' },
      }),
      'none',
      /not due/,
    ],
    [
      'staging certificate adopted while a non-production, non-staging CA is configured (Pebble)',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { issuer: 'CN=(STAGING) Ersatz Edamame E1' })],
        ca: { production: false, directoryUrl: 'https://127.0.0.1:14000/dir' },
      }),
      'issue',
      /staging certificate/,
    ],
    [
      'other test CA certificate while a test CA is configured',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { issuer: 'CN=Pebble Intermediate CA 1a2b' })],
        ca: { production: false },
      }),
      'none',
      /not due/,
    ],
    [
      'test CA certificate while every CA is production',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { issuer: 'CN=Fake LE Intermediate X1' })] }),
      'issue',
      /test CA certificate while the CA is production/,
    ],
    [
      'the issuing CA is no longer configured (staging switched to production)',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { serial: 's1' })],
        states: [state('a.example', { serial: 's1', issuer: 'https://old-ca.test/dir' })],
        policy: { cas: [{ ...ca, directoryUrl: 'https://new-ca.test/dir' }] },
        ca: { directoryUrl: 'https://new-ca.test/dir' },
      }),
      'issue',
      /issuing CA no longer configured/,
    ],
    [
      'the same CA with a trailing slash added is not a change of CA',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { serial: 's1' })],
        states: [state('a.example', { serial: 's1', issuer: 'https://ca-a.test/dir' })],
        ca: { directoryUrl: 'https://ca-a.test/dir/' },
      }),
      'none',
      /not due/,
    ],
    [
      'a fallback CA still configured keeps its certificate until the renewal',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { serial: 's1' })],
        states: [state('a.example', { serial: 's1', issuer: 'https://ca-b.test/dir' })],
        policy: {
          cas: [
            { ...ca, directoryUrl: 'https://ca-a.test/dir' },
            { ...ca, directoryUrl: 'https://ca-b.test/dir' },
          ],
        },
        ca: { directoryUrl: 'https://ca-a.test/dir' },
      }),
      'none',
      /not due/,
    ],
    [
      'a record of another certificate (other serial) says nothing of the CA',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { serial: 's2' })],
        states: [state('a.example', { serial: 's1', issuer: 'https://old-ca.test/dir' })],
        ca: { directoryUrl: 'https://new-ca.test/dir' },
      }),
      'none',
      /not due/,
    ],
    [
      'key type we recorded changed',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example')],
        states: [state('a.example', { keyType: 'rsa2048' })],
      }),
      'issue',
      /key type/,
    ],
    [
      'adopted RSA certificate is kept until renewal',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { keyType: 'rsa2048' })] }),
      'none',
      /not due/,
    ],
    [
      'fresh certificate is not due',
      input({ desired: [spec('a.example')], stored: [cert('a.example')] }),
      'none',
      /not due/,
    ],
    [
      'two thirds of lifetime passed',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { notBefore: at(-61), notAfter: at(29) })] }),
      'renew',
      /two-thirds/,
    ],
    [
      '6-day certificate after 4.1 days',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { notBefore: at(-4.1), notAfter: at(1.9) })] }),
      'renew',
      /two-thirds/,
    ],
    [
      '6-day certificate after 3.9 days',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { notBefore: at(-3.9), notAfter: at(2.1) })] }),
      'none',
      /not due/,
    ],
    [
      'expired certificate',
      input({ desired: [spec('a.example')], stored: [cert('a.example', { notBefore: at(-91), notAfter: at(-1) })] }),
      'renew',
      /expired/,
    ],
    [
      'ARI window in the future wins over two thirds',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { notBefore: at(-61), notAfter: at(29) })],
        states: [
          state('a.example', {
            serial: 'ab9',
            renewAt: at(5).toISOString(),
            ari: { start: at(4).toISOString(), end: at(6).toISOString(), checkAfter: at(1).toISOString() },
          }),
        ],
        ca: { ariSupported: true },
      }),
      'none',
      /not due/,
    ],
    [
      'ARI renewal time reached',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example')],
        states: [
          state('a.example', {
            serial: 'ab9',
            renewAt: at(-0.1).toISOString(),
            ari: { start: at(-1).toISOString(), end: at(1).toISOString(), checkAfter: at(1).toISOString() },
          }),
        ],
        ca: { ariSupported: true },
      }),
      'renew',
      /ari-window/,
    ],
    [
      'last twentieth overrides a later ARI window',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example', { notBefore: at(-86), notAfter: at(4) })],
        states: [
          state('a.example', {
            serial: 'ab9',
            renewAt: at(3).toISOString(),
            ari: { start: at(3).toISOString(), end: at(3.5).toISOString(), checkAfter: at(1).toISOString() },
          }),
        ],
        ca: { ariSupported: true },
      }),
      'renew',
      /last twentieth/,
    ],
    [
      'ARI unknown: ask',
      input({ desired: [spec('a.example')], stored: [cert('a.example')], ca: { ariSupported: undefined } }),
      'check-ari',
      /no renewal info/,
    ],
    [
      'ARI answer expired: ask again',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example')],
        states: [
          state('a.example', {
            serial: 'ab9',
            renewAt: at(50).toISOString(),
            ari: { start: at(49).toISOString(), end: at(51).toISOString(), checkAfter: at(-0.01).toISOString() },
          }),
        ],
        ca: { ariSupported: true },
      }),
      'check-ari',
      /expired/,
    ],
    [
      'ARI for an older serial does not count',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example')],
        states: [
          state('a.example', {
            serial: 'old',
            renewAt: at(-1).toISOString(),
            ari: { start: at(-2).toISOString(), end: at(0).toISOString(), checkAfter: at(1).toISOString() },
          }),
        ],
        ca: { ariSupported: true },
      }),
      'check-ari',
      /renewal info/,
    ],
    [
      'backing off: issue waits',
      input({
        desired: [spec('a.example')],
        states: [state('a.example', { failures: 2, nextAttempt: at(0.1).toISOString() })],
      }),
      'none',
      /backing off/,
    ],
    [
      'backoff over: issue again',
      input({
        desired: [spec('a.example')],
        states: [state('a.example', { failures: 2, nextAttempt: at(-0.1).toISOString() })],
      }),
      'issue',
      /no certificate/,
    ],
    ['unwanted: grace starts', input({ stored: [cert('a.example')] }), 'mark-unwanted', /no longer requested/],
    [
      'unwanted before any snapshot: wait',
      input({ stored: [cert('a.example')], desiredAt: null }),
      'none',
      /first complete snapshot/,
    ],
    [
      'unwanted inside grace',
      input({ stored: [cert('a.example')], states: [state('a.example', { unwantedSince: at(-6).toISOString() })] }),
      'none',
      /grace/,
    ],
    [
      'unwanted past grace',
      input({ stored: [cert('a.example')], states: [state('a.example', { unwantedSince: at(-8).toISOString() })] }),
      'remove',
      /remove-after/,
    ],
    [
      'past grace but the last snapshot is older than the deadline (Marathon down)',
      input({
        stored: [cert('a.example')],
        states: [state('a.example', { unwantedSince: at(-8).toISOString() })],
        desiredAt: at(-2),
      }),
      'none',
      /waiting for a snapshot/,
    ],
    [
      'wanted again during grace',
      input({
        desired: [spec('a.example')],
        stored: [cert('a.example')],
        states: [state('a.example', { unwantedSince: at(-3).toISOString() })],
      }),
      'clear-unwanted',
      /wanted again/,
    ],
    ['state without certificate or wish is forgotten', input({ states: [state('a.example')] }), 'forget', /not wanted/],
  ];
  for (const [name, inp, kind, reason] of cases) {
    await t.test(name, () => {
      const d = only(inp);
      assert.equal(d.kind, kind, JSON.stringify(d));
      assert.match(d.reason, reason);
    });
  }
});

test('plan: renewals of soon-expiring certificates come before new names', () => {
  const p = plan(
    input({
      desired: [spec('new.example'), spec('late.example'), spec('soon.example')],
      stored: [
        cert('late.example', { notBefore: at(-70), notAfter: at(20) }),
        cert('soon.example', { notBefore: at(-88), notAfter: at(2) }),
      ],
    }),
  );
  const work = p.decisions
    .filter((d) => d.kind === 'issue' || d.kind === 'renew')
    .sort((a, b) => (a as { priority: number }).priority - (b as { priority: number }).priority);
  assert.deepEqual(
    work.map((d) => d.name),
    ['soon.example', 'late.example', 'new.example'],
  );
});

test('plan: ARI renewals are marked (exempt from the order budget, sent with replaces)', () => {
  const d = only(
    input({
      desired: [spec('a.example')],
      stored: [cert('a.example')],
      states: [
        state('a.example', {
          serial: 'ab9',
          renewAt: at(-1).toISOString(),
          ari: { start: at(-2).toISOString(), end: at(1).toISOString(), checkAfter: at(1).toISOString() },
        }),
      ],
      ca: { ariSupported: true },
    }),
  );
  assert.equal(d.kind === 'renew' && d.ariRenewal, true);
});

test('plan: the mass-removal guard holds removals of more than half the certificates', () => {
  const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `${n}.example`);
  const past = at(-8).toISOString();
  const base = { stored: names.map((n) => cert(n)), states: names.map((n) => state(n, { unwantedSince: past })) };
  const held = plan(input({ ...base, desired: [spec('a.example')] }));
  assert.deepEqual(
    held.decisions.map((d) => d.kind),
    ['clear-unwanted', 'hold-removal', 'hold-removal', 'hold-removal', 'hold-removal'],
  );
  assert.match(held.decisions[1]!.reason, /4 of 5/);
  const released = plan(input({ ...base, desired: [spec('a.example')], released: true }));
  assert.equal(released.decisions.filter((d) => d.kind === 'remove').length, 4);
  const few = plan(input({ ...base, desired: [spec('a.example'), spec('b.example'), spec('c.example')] }));
  assert.equal(few.decisions.filter((d) => d.kind === 'remove').length, 2, 'two of five are below the threshold');
  const disabled = plan(input({ ...base, policy: { maxRemovalFraction: 1 } }));
  assert.equal(disabled.decisions.filter((d) => d.kind === 'remove').length, 5);
});

test('plan: wakeAt is the earliest moment something becomes due', () => {
  const p = plan(
    input({
      desired: [spec('a.example'), spec('b.example')],
      stored: [
        cert('a.example', { notBefore: at(-10), notAfter: at(80) }),
        cert('b.example', { notBefore: at(-1), notAfter: at(5) }),
      ],
    }),
  );
  assert.equal(
    p.wakeAt?.toISOString(),
    chooseRenewalTime({ notBefore: at(-1), notAfter: at(5) }, undefined, 0).at.toISOString(),
  );
});

test('chooseRenewalTime: ARI window, two thirds with jitter, urgent tail', () => {
  const c = { notBefore: at(0), notAfter: at(90) };
  assert.equal(chooseRenewalTime(c, undefined, 0).at.getTime(), at(60).getTime());
  assert.equal(chooseRenewalTime(c, undefined, 0.5).at.getTime(), at(60 - 0.9).getTime());
  assert.equal(chooseRenewalTime(c, undefined, 0).urgentAt.getTime(), at(85.5).getTime());
  const ari = { start: at(30), end: at(32) };
  for (const r of [0, 0.25, 0.999]) {
    const t = chooseRenewalTime(c, ari, r);
    assert.equal(t.reason, 'ari-window');
    assert.ok(t.at >= ari.start && t.at <= ari.end);
  }
});

test('recordFailure: exponential backoff, Retry-After, hourly validation budget', () => {
  const s0 = state('a.example');
  const s1 = recordFailure(s0, { code: 'ACME_PROBLEM', type: 'serverInternal', detail: 'x' }, NOW, 0);
  assert.equal(s1.failures, 1);
  assert.equal(Date.parse(s1.nextAttempt!) - NOW.getTime(), 5 * 60_000);
  const s3 = recordFailure(recordFailure(s1, { code: 'C', detail: 'x' }, NOW, 0), { code: 'C', detail: 'x' }, NOW, 0);
  assert.equal(Date.parse(s3.nextAttempt!) - NOW.getTime(), 20 * 60_000);
  let s = s0;
  for (let i = 0; i < 20; i++) s = recordFailure(s, { code: 'C', detail: 'x' }, NOW, 0);
  assert.equal(Date.parse(s.nextAttempt!) - NOW.getTime(), DAY, 'capped at a day');
  const ra = recordFailure(s0, { code: 'ACME_PROBLEM', type: 'rateLimited', detail: 'x', retryAfter: at(2) }, NOW, 0);
  assert.equal(ra.nextAttempt, at(2).toISOString(), "CA's Retry-After wins when later");
  assert.equal(ra.lastError?.type, 'rateLimited');
  // Validation failures: the 4th within an hour pushes the next attempt past the hour of the first.
  let v = s0;
  for (let i = 0; i < MAX_FAILED_VALIDATIONS_PER_HOUR; i++)
    v = recordFailure(
      v,
      { code: 'ACME_PROBLEM', type: 'unauthorized', detail: 'x' },
      new Date(NOW.getTime() + i * 60_000),
      0,
    );
  assert.ok(Date.parse(v.nextAttempt!) >= NOW.getTime() + 3600_000, v.nextAttempt);
  assert.equal(v.failedValidations?.length, 4);
});

test('recordSuccess clears failures and sets a renewal time; recordRenewalInfo keeps the chosen time for the same window', () => {
  const failed = recordFailure(
    state('a.example', { unwantedSince: NOW.toISOString() }),
    { code: 'C', detail: 'x' },
    NOW,
    0,
  );
  const c = cert('a.example', { notBefore: at(0), notAfter: at(90) });
  const ok = recordSuccess(failed, c, 'ec256', NOW, 0);
  assert.equal(ok.failures, 0);
  assert.equal(ok.nextAttempt, undefined);
  assert.equal(ok.lastError, undefined);
  assert.equal(ok.unwantedSince, undefined);
  assert.equal(ok.renewAt, at(60).toISOString());
  const info = { start: at(40), end: at(42), retryAfterMs: 3600_000 };
  const a1 = recordRenewalInfo(ok, c, info, NOW, 0.5);
  assert.equal(a1.renewAt, at(41).toISOString());
  assert.equal(a1.ari?.checkAfter, new Date(NOW.getTime() + 3600_000).toISOString());
  const a2 = recordRenewalInfo(a1, c, info, NOW, 0.9);
  assert.equal(a2.renewAt, a1.renewAt, 'same window keeps the chosen moment');
});

test('recordSuccess records the issuing CA; a later failure keeps it (the certificate is still from there)', () => {
  const c = cert('a.example', { notBefore: at(0), notAfter: at(90) });
  assert.equal(recordSuccess(state('a.example'), c, 'ec256', NOW, 0).issuer, undefined);
  const ok = recordSuccess(state('a.example'), c, 'ec256', NOW, 0, ca.directoryUrl);
  assert.equal(ok.issuer, ca.directoryUrl);
  assert.equal(recordFailure(ok, { code: 'C', detail: 'x' }, NOW, 0).issuer, ca.directoryUrl);
});

test('sameNames ignores order and case', () => {
  assert.equal(sameNames(['a', 'b'], ['B', 'a']), true);
  assert.equal(sameNames(['a'], ['a', 'b']), false);
});
