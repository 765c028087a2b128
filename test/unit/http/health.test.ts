import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHealth, evaluateHealth, gatherHealthFacts, type HealthFacts } from '../../../src/http/health.js';
import type { SourceStatus } from '../../../src/domain/contracts.js';

test('evaluateHealth: thresholds and the start-up grace', async (t) => {
  const base: HealthFacts = {
    now: 1_000_000,
    startedAt: 0,
    ca: { reachable: true },
    startupGraceMs: 120_000,
    marathon: { lastSnapshotAt: 990_000, stream: 'connected', maxAgeMs: 900_000 },
  };
  const cases: Array<[string, Partial<HealthFacts>, boolean, string?]> = [
    ['all good', {}, true],
    ['storage not writable', { storageError: 'EROFS' }, false, 'storage'],
    ['CA unreachable after start-up', { ca: { reachable: false, lastError: 'ECONNREFUSED' } }, false, 'ca'],
    ['CA unreachable while starting', { ca: { reachable: false }, startedAt: 950_000 }, true, 'ca'],
    [
      'snapshot stale',
      { marathon: { lastSnapshotAt: 1, stream: 'connected', maxAgeMs: 900_000 } },
      false,
      'marathon_snapshot',
    ],
    [
      'no snapshot yet while starting',
      { startedAt: 990_000, marathon: { stream: 'connecting', maxAgeMs: 900_000 } },
      true,
    ],
    [
      'no snapshot after start-up',
      { marathon: { stream: 'connecting', maxAgeMs: 900_000 } },
      false,
      'marathon_snapshot',
    ],
    [
      'stream disconnected',
      { marathon: { lastSnapshotAt: 990_000, stream: 'disconnected', maxAgeMs: 900_000 } },
      false,
      'event_stream',
    ],
    [
      'stream reconnecting is fine',
      { marathon: { lastSnapshotAt: 990_000, stream: 'connecting', maxAgeMs: 900_000 } },
      true,
    ],
  ];
  for (const [name, patch, healthy, failing] of cases) {
    await t.test(name, () => {
      const h = evaluateHealth({ ...base, ...patch });
      assert.equal(h.healthy, healthy);
      if (failing) assert.equal(h.checks[failing]?.ok, false);
    });
  }
  const startingCa = evaluateHealth({
    ...base,
    startedAt: 950_000,
    ca: { reachable: false, lastError: 'ECONNREFUSED' },
  });
  assert.equal(startingCa.status, 'starting', 'a CA never reached during the grace: starting, not ok');
  assert.deepEqual(startingCa.checks.ca, {
    ok: false,
    starting: true,
    detail: 'starting: ACME server not reached yet: ECONNREFUSED',
  });
  const early = evaluateHealth({
    ...base,
    startedAt: 990_000,
    marathon: { stream: 'disconnected', maxAgeMs: 900_000 },
  });
  assert.equal(early.status, 'starting');
  assert.deepEqual(early.checks.event_stream, {
    ok: false,
    starting: true,
    detail: 'starting: event stream not connected yet',
  });
  assert.equal(early.checks.marathon_snapshot?.ok, false, 'no snapshot yet is never ok: true');
  assert.equal(early.checks.marathon_snapshot?.starting, true);
  for (const h of [early, evaluateHealth(base), startingCa])
    for (const [name, c] of Object.entries(h.checks))
      assert.ok(!(c.ok && /disconnected|not reached|no snapshot/.test(c.detail)), `${name}: ok with "${c.detail}"`);
  assert.equal(evaluateHealth(base).status, 'ok');
  assert.equal(evaluateHealth({ ...base, storageError: 'EROFS' }).status, 'unhealthy');
  assert.equal(
    evaluateHealth({ ...base, marathon: undefined }).checks.marathon_snapshot,
    undefined,
    'no Marathon, no Marathon checks',
  );
});

test('gatherHealthFacts asks each part for its own status', async () => {
  const marathonStatus: SourceStatus = {
    lastSnapshotAt: new Date(990_000),
    stream: 'connecting',
    lastError: { code: 'MARATHON_UNREACHABLE', message: 'ECONNREFUSED', at: new Date(995_000) },
  };
  const facts = await gatherHealthFacts({
    store: { checkWritable: async () => Promise.reject(new Error('EROFS: read-only file system')) },
    issuer: { status: () => ({ reachable: false, lastError: 'timeout', directoryUrl: 'https://ca/dir' }) },
    marathon: { source: { status: () => marathonStatus }, maxAgeMs: 900_000 },
    startedAt: 0,
    startupGraceMs: 120_000,
    now: () => 1_000_000,
  });
  assert.deepEqual(facts, {
    now: 1_000_000,
    startedAt: 0,
    startupGraceMs: 120_000,
    storageError: 'EROFS: read-only file system',
    ca: { reachable: false, lastError: 'timeout' },
    marathon: { maxAgeMs: 900_000, lastSnapshotAt: 990_000, stream: 'connecting', lastError: 'ECONNREFUSED' },
  });
});

test('checkHealth: no Marathon source, no Marathon checks; a writable store and a reachable CA are healthy', async () => {
  const h = await checkHealth({
    store: { checkWritable: async () => {} },
    issuer: { status: () => ({ reachable: true, directoryUrl: 'https://ca/dir' }) },
    startedAt: 0,
    startupGraceMs: 120_000,
    now: () => 1_000_000,
  });
  assert.deepEqual(h, {
    healthy: true,
    status: 'ok',
    checks: { storage: { ok: true, detail: 'writable' }, ca: { ok: true, detail: 'reachable' } },
  });
});

test('several CAs: each is shown; the ca check fails only when none is reachable', async () => {
  const down = { status: () => ({ reachable: false, lastError: 'ECONNREFUSED', directoryUrl: 'https://a/dir' }) };
  const up = { status: () => ({ reachable: true, directoryUrl: 'https://b/dir' }) };
  const parts = {
    store: { checkWritable: async () => {} },
    startedAt: 0,
    startupGraceMs: 120_000,
    now: () => 1_000_000,
  };
  const one = await checkHealth({ ...parts, issuer: down, issuers: [down, up] });
  assert.equal(one.healthy, true, 'one CA answers');
  assert.deepEqual(one.checks.ca, { ok: true, detail: 'reachable' });
  assert.deepEqual(one.checks.ca_0, {
    ok: false,
    informational: true,
    detail: 'https://a/dir: not reachable: ECONNREFUSED',
  });
  assert.deepEqual(one.checks.ca_1, { ok: true, informational: true, detail: 'https://b/dir: reachable' });
  const none = await checkHealth({ ...parts, issuer: down, issuers: [down, down] });
  assert.equal(none.healthy, false, 'no CA answers');
  assert.equal(none.checks.ca?.ok, false);
});

test('evaluateHealth: the zookeeper check (--zk) names ZooKeeper when it fails, and is absent without --zk', async (t) => {
  const base: HealthFacts = { now: 1_000_000, startedAt: 0, ca: { reachable: true }, startupGraceMs: 120_000 };
  const cases: Array<[string, Partial<HealthFacts>, boolean, boolean | undefined]> = [
    ['without --zk: no check', {}, true, undefined],
    ['connected', { zookeeper: { ok: true, detail: 'connected; following a' } }, true, true],
    [
      'unreachable after start-up',
      { zookeeper: { ok: false, detail: 'ZooKeeper unreachable: no server answers' } },
      false,
      false,
    ],
    [
      'unreachable while starting',
      { startedAt: 990_000, zookeeper: { ok: false, detail: 'ZooKeeper unreachable' } },
      true,
      false,
    ],
  ];
  for (const [name, patch, healthy, zkOk] of cases) {
    await t.test(name, () => {
      const h = evaluateHealth({ ...base, ...patch });
      assert.equal(h.healthy, healthy);
      assert.equal(h.checks.zookeeper?.ok, zkOk);
      if (zkOk === false) assert.match(h.checks.zookeeper!.detail, /ZooKeeper unreachable/);
    });
  }
});
