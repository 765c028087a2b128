import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateStatus, publishCertificateMetrics, type CertificateFacts } from '../../../src/reconciler/report.js';
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
  certPem: '',
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
  publishCertificateMetrics(m, [
    certificateStatus(facts({}), NOW),
    certificateStatus(facts({ name: 'b.example' }), NOW),
  ]);
  assert.match(await m.registry.metrics(), /certificate_expiry_timestamp_seconds\{domain="b\.example"\}/);
  publishCertificateMetrics(m, [certificateStatus(facts({}), NOW)]);
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
