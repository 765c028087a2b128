import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertState, StoredCert } from '../../../src/domain/types.js';
import { AppError } from '../../../src/lib/errors.js';
import { forceRenewal, renewNow } from '../../../src/reconciler/actions.js';
import type { Records } from '../../../src/reconciler/records.js';
import { snap, spec } from '../../support/fakes.js';
import { started } from '../../support/reconciler.js';

const state: CertState = {
  name: 'a.example',
  names: ['a.example'],
  requestedBy: [],
  failures: 3,
  nextAttempt: '2026-12-03T00:00:00.000Z',
  serial: 'old',
  renewAt: '2027-01-01T00:00:00.000Z',
};
const stored = { serial: '0a', selfSigned: false } as StoredCert;

const cases: [string, StoredCert | undefined, Partial<CertState>][] = [
  [
    'an installed certificate: renew now, backoff cleared',
    stored,
    { serial: '0a', renewAt: '2026-12-02T10:00:00.000Z' },
  ],
  ['none installed: only the backoff cleared', undefined, { serial: 'old', renewAt: '2027-01-01T00:00:00.000Z' }],
  ['the self-signed fallback is not renewed', { ...stored, selfSigned: true }, { serial: 'old' }],
];
for (const [what, s, expected] of cases)
  test(`forceRenewal: ${what}`, () => {
    const r = forceRenewal(state, s, '2026-12-02T10:00:00.000Z');
    assert.equal(r.nextAttempt, undefined);
    assert.equal(r.failures, 3, 'the failure count stays: it is history');
    for (const [k, v] of Object.entries(expected)) assert.equal(r[k as keyof CertState], v, k);
  });

test('ready only once every source has delivered a snapshot (Marathon read at least once)', async (t) => {
  const s = started(t);
  await s.time.until(() => s.r.status().certificates !== undefined, 'started', 1000);
  await s.time.advance(100);
  assert.equal(s.r.status().ready, false, 'certs/ read, Marathon never read');
  s.r.setSnapshot('marathon', snap());
  await s.time.until(() => s.r.status().ready, 'ready after the first snapshot', 2000);
  await s.stop();
});

test('renewNow: renews an installed certificate at once, even while it backs off; unknown names are refused', async (t) => {
  const s = started(t);
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.certs.get('a.example') !== undefined, 'issued', 2000);
  assert.equal(await s.r.renewNow('nope.example'), 'unknown');
  assert.equal(await s.r.renewNow('a.example'), 'accepted');
  await s.time.until(() => s.issuer.requests.length === 2, 'renewed', 2000);
  // a failing certificate: its backoff is ignored
  s.issuer.fail = () => new AppError('ACME_PROBLEM', 'rejected by the CA');
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example')));
  await s.time.until(() => (s.store.states.get('b.example')?.failures ?? 0) > 0, 'b failed', 2000);
  const asked = s.issuer.requests.length;
  s.issuer.fail = undefined;
  assert.equal(await s.r.renewNow('b.example'), 'accepted');
  await s.time.until(
    () => s.store.certs.get('b.example') !== undefined,
    'b issued without waiting for its backoff',
    2000,
  );
  assert.equal(s.issuer.requests.length, asked + 1);
  await s.stop();
});

test('renewNow refuses a name the CA paused, and saves nothing', async () => {
  const saved: CertState[] = [];
  const records = {
    stateOf: () => ({ ...state, paused: { at: '2026-12-02T09:00:00.000Z' } }),
    stored: new Map(),
    save: async (st: CertState) => {
      saved.push(st);
    },
  } as unknown as Records;
  assert.equal(await renewNow(records, 'a.example', spec('a.example'), Date.now()), 'paused');
  assert.deepEqual(saved, []);
});
