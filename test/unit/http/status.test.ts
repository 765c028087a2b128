import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusReport } from '../../../src/http/status.js';

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
