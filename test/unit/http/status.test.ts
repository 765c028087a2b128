import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusJsonChunks, statusReport } from '../../../src/http/status.js';

test('statusReport: version, each source by name, the CA, then the reconciler fields at the top level', () => {
  const report = statusReport({
    version: '1.2.3',
    sources: [
      { name: 'marathon', status: () => ({ stream: 'connected' }) },
      { name: 'static', status: () => ({}) },
    ],
    issuer: { status: () => ({ reachable: true, directoryUrl: 'https://ca/dir' }) },
    reconciler: { status: () => ({ certificates: [], held: [] }) },
  });
  assert.deepEqual(report, {
    version: '1.2.3',
    sources: { marathon: { stream: 'connected' }, static: {} },
    ca: { reachable: true, directoryUrl: 'https://ca/dir' },
    cas: [{ reachable: true, directoryUrl: 'https://ca/dir' }],
    certificates: [],
    held: [],
  });
  assert.deepEqual(Object.keys(report), ['version', 'sources', 'ca', 'cas', 'certificates', 'held']);
});

test('statusReport: every CA of --acme, in order of preference', () => {
  const a = { status: () => ({ reachable: false, lastError: 'ECONNREFUSED', directoryUrl: 'https://a/dir' }) };
  const b = { status: () => ({ reachable: true, directoryUrl: 'https://b/dir' }) };
  const report = statusReport({
    version: '1',
    sources: [],
    issuer: a,
    issuers: [a, b],
    reconciler: { status: () => ({}) },
  });
  assert.deepEqual(report.cas, [a.status(), b.status()]);
});

test('statusReport: with --zk, `cluster` comes right after the version', () => {
  const cluster = {
    leader: 'a:8000',
    members: ['a:8000', 'b:8000'],
    self: 'b:8000',
    since: '2026-12-02T00:00:00.000Z',
  };
  const report = statusReport({
    version: '1.2.3',
    sources: [],
    issuer: { status: () => ({ reachable: true, directoryUrl: 'https://ca/dir' }) },
    reconciler: { status: () => ({ certificates: [] }) },
    cluster: () => cluster,
  });
  assert.deepEqual(report.cluster, cluster);
  assert.deepEqual(Object.keys(report), ['version', 'cluster', 'sources', 'ca', 'cas', 'certificates']);
});

test('statusReport: the sync feed (listen, fingerprint) when --sync-listen serves one, nothing otherwise', () => {
  const parts = {
    version: '1',
    sources: [],
    issuer: { status: () => ({ reachable: true, directoryUrl: 'https://ca/dir' }) },
    reconciler: { status: () => ({}) },
  };
  assert.equal('sync' in statusReport({ ...parts, sync: {} }), false);
  const sync = { listen: ':8443', fingerprint_sha256: 'AB:CD' };
  assert.deepEqual(statusReport({ ...parts, sync: { value: sync } }).sync, sync);
});

test('statusJsonChunks: the text of statusReport, the certificates built as they are written', () => {
  const certs = Array.from({ length: 3000 }, (_, i) => ({ name: `c${i}.example`, state: 'valid', failures: 0 }));
  let built = 0;
  function* each() {
    for (const c of certs) {
      built += 1;
      yield { ...c };
    }
  }
  const base = {
    version: '1.2.3',
    sources: [{ name: 'marathon', status: () => ({ stream: 'connected' as const }) }],
    issuer: { status: () => ({ reachable: true, directoryUrl: 'https://ca/dir' }) },
    cluster: () => ({ leader: 'a:8000' }),
    sync: { value: { listen: ':8443', fingerprint_sha256: 'AB' } },
  };
  const head = { ready: true, lastPlanAt: new Date(0), unmanaged: ['x.pem'], queue: { running: 0, queued: 1 } };
  const reconciler = {
    status: () => ({
      ready: head.ready,
      lastPlanAt: head.lastPlanAt,
      certificates: certs,
      unmanaged: head.unmanaged,
      queue: head.queue,
    }),
    streamedStatus: () => ({
      ready: head.ready,
      lastPlanAt: head.lastPlanAt,
      certificates: each(),
      unmanaged: head.unmanaged,
      queue: head.queue,
    }),
  };
  const chunks = [...statusJsonChunks({ ...base, reconciler })];
  assert.equal(chunks.join(''), JSON.stringify(statusReport({ ...base, reconciler })));
  assert.ok(chunks.length > 1, 'in chunks');
  assert.equal(built, certs.length, 'each certificate built once');
  // Without streamedStatus: the same text, whole.
  assert.equal(
    [...statusJsonChunks({ ...base, reconciler: { status: reconciler.status } })].join(''),
    JSON.stringify(statusReport({ ...base, reconciler })),
  );
});
