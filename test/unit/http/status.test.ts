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
    certificates: [],
    held: [],
  });
  assert.deepEqual(Object.keys(report), ['version', 'sources', 'ca', 'certificates', 'held']);
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
  assert.deepEqual(Object.keys(report), ['version', 'cluster', 'sources', 'ca', 'certificates']);
});
