import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { excerpt, mergeSnapshots, SpecCollector } from '../../../src/domain/desired.js';
import type { Snapshot } from '../../../src/domain/types.js';

test('mergeSnapshots merges requesters and keeps the first of conflicting sets', () => {
  const m: Snapshot = {
    specs: [{ name: 'a.com', names: ['a.com'], requestedBy: [{ source: 'marathon', appId: '/x', portIndex: 0 }] }],
    problems: [{ source: 'marathon', code: 'INVALID_NAME', reason: 'r' }],
  };
  const s: Snapshot = {
    specs: [
      { name: 'a.com', names: ['a.com'], requestedBy: [{ source: 'static' }] },
      { name: 'b.com', names: ['b.com', 'c.com'], requestedBy: [{ source: 'static' }] },
    ],
    problems: [],
  };
  const t: Snapshot = {
    specs: [{ name: 'b.com', names: ['b.com'], requestedBy: [{ source: 'marathon', appId: '/y', portIndex: 1 }] }],
    problems: [],
  };
  const merged = mergeSnapshots([m, s, t]);
  assert.deepEqual(merged.specs, [
    {
      name: 'a.com',
      names: ['a.com'],
      requestedBy: [{ source: 'marathon', appId: '/x', portIndex: 0 }, { source: 'static' }],
    },
    { name: 'b.com', names: ['b.com', 'c.com'], requestedBy: [{ source: 'static' }] },
  ]);
  assert.deepEqual(
    merged.problems.map((p) => p.code),
    ['INVALID_NAME', 'SAN_CONFLICT'],
  );
  assert.deepEqual(mergeSnapshots([]), { specs: [], problems: [] });
});

test('SpecCollector: same names merge requesters once; a different set for the same file is a SAN_CONFLICT', () => {
  const c = new SpecCollector();
  c.add(['a.com', 'b.com'], [{ source: 'static', portIndex: 0 }]);
  c.add(['a.com', 'b.com'], [{ source: 'static', portIndex: 0 }]);
  c.add(['a.com', 'b.com'], [{ source: 'marathon', appId: '/x', portIndex: 1 }]);
  c.add(['a.com'], [{ source: 'static', portIndex: 2 }]);
  c.add([], [{ source: 'static', portIndex: 3 }]);
  assert.deepEqual(c.specList(), [
    {
      name: 'a.com',
      names: ['a.com', 'b.com'],
      requestedBy: [
        { source: 'static', portIndex: 0 },
        { source: 'marathon', appId: '/x', portIndex: 1 },
      ],
    },
  ]);
  assert.deepEqual(c.problems, [
    {
      source: 'static',
      portIndex: 2,
      value: 'a.com',
      code: 'SAN_CONFLICT',
      reason: 'certificate a.com is already wanted with the names a.com,b.com; keeping those',
    },
  ]);
});

describe('excerpt: printable, bounded, never throws', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  const cases: Array<[string, unknown, string]> = [
    ['short printable string as is', 'a.com', 'a.com'],
    ['control characters escaped', 'a\nb', 'a\\u000ab'],
    ['line separator escaped', 'a\u2028b', 'a\\u2028b'],
    ['non-strings as JSON', { a: 1 }, '{"a":1}'],
    ['undefined', undefined, 'undefined'],
    ['long values cut at 120 characters', 'x'.repeat(200), `${'x'.repeat(120)}…`],
    ['a cyclic object', cyclic, '[unprintable]'],
    ['a BigInt (JSON.stringify throws)', 10n, '[unprintable]'],
  ];
  for (const [name, value, want] of cases) test(name, () => assert.equal(excerpt(value), want));
});
