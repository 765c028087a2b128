import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  certificateStatus,
  certificateStatuses,
  metricRowOf,
  metricRows,
  publishCertificateMetrics,
  type CertificateFacts,
} from '../../../src/reconciler/report.js';
import type { CertState, CertSpec } from '../../../src/domain/types.js';
import { createMetrics } from '../../../src/observe/metrics.js';
import type { StoredCert } from '../../../src/domain/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-22T12:00:00Z');
const spec = {
  name: 'a.example',
  names: ['a.example'],
  requestedBy: [{ source: 'marathon' as const, appId: '/a', portIndex: 0 }],
};
const stored = (o: Partial<StoredCert> = {}): StoredCert => ({
  name: 'a.example',
  names: ['a.example'],
  notBefore: new Date(NOW - 10 * DAY),
  notAfter: new Date(NOW + 80 * DAY),
  serial: 's1',
  issuer: 'CN=R12',
  keyType: 'ec256',
  selfSigned: false,
  ...o,
});
const facts = (o: Partial<CertificateFacts>): CertificateFacts => ({
  name: 'a.example',
  spec,
  stored: stored(),
  state: undefined,
  held: false,
  ...o,
});

test('certificateStatus: the state an operator sees', () => {
  const cases: Array<[string, Partial<CertificateFacts>, string]> = [
    ['valid', {}, 'valid'],
    ['pending: wanted, not issued yet', { stored: undefined }, 'pending'],
    [
      'failing before the first certificate',
      { stored: undefined, state: { name: 'a.example', names: [], requestedBy: [], failures: 2 } },
      'failing',
    ],
    [
      'failing renewals of a valid certificate',
      { state: { name: 'a.example', names: [], requestedBy: [], failures: 1 } },
      'failing',
    ],
    ['expired', { stored: stored({ notAfter: new Date(NOW - 1) }) }, 'expired'],
    ['unwanted', { spec: undefined }, 'unwanted'],
    ['held removal', { spec: undefined, held: true }, 'held'],
  ];
  for (const [name, f, want] of cases) assert.equal(certificateStatus(facts(f), NOW).state, want, name);
});

test('certificateStatus: an adopted certificate shows its planned renewal (two thirds of its lifetime)', () => {
  const s = certificateStatus(facts({}), NOW);
  assert.equal(s.renewAt, new Date(NOW - 10 * DAY + 60 * DAY).toISOString());
  assert.equal(
    certificateStatus(facts({ spec: undefined }), NOW).renewAt,
    undefined,
    'unwanted certificates are not renewed',
  );
});

test('publishCertificateMetrics leaves no stale series for certificates that are gone', async () => {
  const m = createMetrics({ defaultMetrics: false });
  publishCertificateMetrics(
    m,
    [certificateStatus(facts({}), NOW), certificateStatus(facts({ name: 'b.example' }), NOW)].map(metricRowOf),
  );
  assert.match(await m.registry.metrics(), /certificate_expiry_timestamp_seconds\{domain="b\.example"\}/);
  publishCertificateMetrics(m, [metricRowOf(certificateStatus(facts({}), NOW))]);
  const text = await m.registry.metrics();
  assert.doesNotMatch(text, /domain="b\.example"/);
  assert.match(text, /marathon_acme_certificates\{state="valid"\} 1/);
});

test('certificateStatus: serial, issuer, the issuing CA and last success; removal time of an unwanted one', () => {
  const state = {
    name: 'a.example',
    names: ['a.example'],
    requestedBy: [],
    failures: 0,
    serial: 's1',
    issuer: 'https://ca.test/directory',
    lastSuccess: '2026-11-01T00:00:00.000Z',
  };
  const s = certificateStatus(facts({ state, removeAfterMs: DAY }), NOW);
  assert.equal(s.serial, 's1');
  assert.equal(s.issuer, 'https://ca.test/directory', 'the issuing CA, when recorded');
  assert.equal(s.issuerName, 'CN=R12');
  assert.equal(s.ca, 'https://ca.test/directory');
  assert.equal(s.lastSuccess, '2026-11-01T00:00:00.000Z');
  assert.equal(s.removeAt, undefined, 'wanted: no removal');
  const renewed = certificateStatus(facts({ state, stored: stored({ serial: 's2' }) }), NOW);
  assert.equal(renewed.ca, undefined, 'the recorded CA issued another certificate than the one installed');
  const unwanted = certificateStatus(
    facts({ spec: undefined, state: { ...state, unwantedSince: '2026-11-22T00:00:00.000Z' }, removeAfterMs: DAY }),
    NOW,
  );
  assert.equal(unwanted.removeAt, '2026-11-23T00:00:00.000Z');
});

test('certificateStatus: a static entry shows no port index (it has no port)', () => {
  const s = certificateStatus(
    facts({
      spec: {
        ...spec,
        requestedBy: [
          { source: 'static', portIndex: 3 },
          { source: 'marathon', appId: '/a', portIndex: 0 },
        ],
      },
    }),
    NOW,
  );
  assert.deepEqual(s.requestedBy, [{ source: 'static' }, { source: 'marathon', appId: '/a', portIndex: 0 }]);
});

test('metricRows: the same figures as the status records, for every kind of certificate', async (t) => {
  const st = (name: string, o: Partial<CertState> = {}): CertState => ({
    name,
    names: [name],
    requestedBy: [],
    failures: 0,
    ...o,
  });
  const want = (name: string): CertSpec => ({ ...spec, name, names: [name] });
  const cases: Array<[string, { spec?: CertSpec; stored?: StoredCert; state?: CertState }]> = [
    ['valid, adopted (issuer unknown)', { spec: want('a'), stored: stored({ name: 'a' }) }],
    [
      'valid, issued by a recorded CA, ARI window',
      {
        spec: want('b'),
        stored: stored({ name: 'b' }),
        state: st('b', {
          serial: 's1',
          issuer: 'https://ca.test/dir',
          renewAt: new Date(NOW + DAY).toISOString(),
          ari: {
            start: new Date(NOW).toISOString(),
            end: new Date(NOW + 2 * DAY).toISOString(),
            checkAfter: new Date(NOW).toISOString(),
          },
        }),
      },
    ],
    [
      'a recorded CA of an older serial does not count',
      {
        spec: want('c'),
        stored: stored({ name: 'c' }),
        state: st('c', { serial: 'old', issuer: 'https://ca.test/dir' }),
      },
    ],
    [
      'failing, backing off',
      { spec: want('d'), state: st('d', { failures: 3, nextAttempt: new Date(NOW + 60_000).toISOString() }) },
    ],
    [
      'a backoff that has passed is 0',
      { spec: want('e'), state: st('e', { failures: 1, nextAttempt: new Date(NOW - 1).toISOString() }) },
    ],
    ['pending', { spec: want('f') }],
    ['expired', { spec: want('g'), stored: stored({ name: 'g', notAfter: new Date(NOW - 1) }) }],
    ['self-signed: no renewal', { spec: want('h'), stored: stored({ name: 'h', selfSigned: true }) }],
    ['last twentieth first', { spec: want('i'), stored: stored({ name: 'i', notAfter: new Date(NOW + DAY) }) }],
    [
      'unwanted, stored',
      { stored: stored({ name: 'j' }), state: st('j', { unwantedSince: new Date(NOW).toISOString() }) },
    ],
    ['held', { stored: stored({ name: 'k' }) }],
    ['only a state record', { state: st('l', { failures: 2 }) }],
    [
      'a recorded renewal time that is not a date: the default plan',
      { spec: want('m'), stored: stored({ name: 'm' }), state: st('m', { serial: 's1', renewAt: 'soon' }) },
    ],
  ];
  const desired = new Map<string, CertSpec>();
  const storedMap = new Map<string, StoredCert>();
  const states = new Map<string, CertState>();
  for (const [, c] of cases) {
    const name = (c.spec ?? c.stored ?? c.state)!.name;
    if (c.spec) desired.set(name, c.spec);
    if (c.stored) storedMap.set(name, c.stored);
    if (c.state) states.set(name, c.state);
  }
  const input = {
    desired,
    records: { stored: storedMap, states, kept: new Map() },
    held: ['k'],
    removeAfterMs: DAY,
    now: NOW,
  };
  const fast = new Map([...metricRows(input)].map((r) => [r.name, r]));
  const slow = new Map(certificateStatuses({ ...input, job: () => undefined }).map((c) => [c.name, metricRowOf(c)]));
  assert.equal(fast.size, slow.size, 'every certificate once');
  for (const [label, c] of cases) {
    const name = (c.spec ?? c.stored ?? c.state)!.name;
    await t.test(label, () => assert.deepEqual(fast.get(name), slow.get(name)));
  }
});
