import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batches, type LocalState, planSync } from '../../../src/agent/plan.js';
import type { SyncSnapshot } from '../../../src/agent/client.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const D = 'd'.repeat(64);

const local = (bundles: Record<string, string>, defaultSha: string | null = D): LocalState => ({
  bundles: new Map(Object.entries(bundles)),
  defaultSha,
});
const snap = (version: number, certs: Record<string, string>, def: string | null = D, epoch = 'e1'): SyncSnapshot => ({
  epoch,
  version,
  certificates: Object.entries(certs).map(([name, sha256]) => ({ name, sha256 })),
  default: def,
});

const cases: {
  name: string;
  local: LocalState;
  snap: SyncSnapshot;
  last?: { epoch: string; version: number };
  fetch?: string[];
  remove?: string[];
  fetchDefault?: string | null;
  held?: number;
  stale?: boolean;
}[] = [
  { name: 'fresh directory: fetch everything', local: local({}), snap: snap(1, { x: A, y: B }), fetch: ['x', 'y'] },
  {
    name: 'unchanged files are never fetched again (restart)',
    local: local({ x: A, y: B }),
    snap: snap(7, { x: A, y: B }),
    fetch: [],
  },
  { name: 'a changed fingerprint is fetched', local: local({ x: A }), snap: snap(2, { x: C }), fetch: ['x'] },
  {
    name: 'a name the server dropped is removed',
    local: local({ x: A, y: B }),
    snap: snap(3, { x: A }),
    remove: ['y'],
  },
  {
    name: 'an empty list removes nothing (held)',
    local: local({ x: A, y: B }),
    snap: snap(4, {}),
    remove: [],
    held: 2,
  },
  {
    name: 'a lower version of the same epoch is refused whole',
    local: local({ x: A }),
    snap: snap(3, {}),
    last: { epoch: 'e1', version: 5 },
    stale: true,
  },
  {
    name: 'a lower version of another epoch (restarted server) is a new full state',
    local: local({ x: A, y: B }),
    snap: snap(1, { x: A }, D, 'e2'),
    last: { epoch: 'e1', version: 9 },
    remove: ['y'],
  },
  { name: 'default.pem differs: fetched', local: local({}, A), snap: snap(1, {}, B), fetchDefault: B },
  {
    name: 'the server has no default.pem: ours stays',
    local: local({}, A),
    snap: snap(1, {}, null),
    fetchDefault: null,
  },
  {
    name: 'unsafe names are ignored',
    local: local({}),
    snap: snap(1, { '../etc/passwd': A, '.hidden': B, ok: C }),
    fetch: ['ok'],
  },
];

for (const c of cases) {
  test(`planSync: ${c.name}`, () => {
    const p = planSync(c.local, c.snap, c.last);
    if (c.stale) return assert.equal(p.kind, 'stale');
    assert.equal(p.kind, 'apply');
    if (p.kind !== 'apply') return;
    if (c.fetch) assert.deepEqual([...p.fetch.keys()].sort(), c.fetch);
    if (c.remove) assert.deepEqual(p.remove, c.remove);
    if (c.fetchDefault !== undefined) assert.equal(p.fetchDefault, c.fetchDefault);
    assert.equal(p.removalsHeld, c.held ?? 0);
  });
}

test('batches: splits in order, the last one shorter', () => {
  assert.deepEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(batches([], 2), []);
});
