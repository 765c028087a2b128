import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { excerpt, mergeSnapshots, SpecCollector } from '../../../src/domain/desired.js';
import type { CertSpec, Requester, Snapshot } from '../../../src/domain/types.js';

const m = (appId: string, portIndex = 0): Requester => ({ source: 'marathon', appId, portIndex });
const snapshot = (...specs: Array<[string[], Requester]>): Snapshot => ({
  specs: specs.map(([names, r]) => ({ name: names[0]!, names, requestedBy: [r] })),
  problems: [],
});
const summary = (s: Snapshot): string[] =>
  s.specs.map((x) => `${x.name}: ${x.names.join(',')} <- ${x.requestedBy.map((r) => r.appId ?? r.source).join(' ')}`);

test('mergeSnapshots merges the requesters of one name set across sources; problems in order, the merge last', () => {
  const marathon: Snapshot = {
    specs: [{ name: 'a.com', names: ['a.com'], requestedBy: [m('/x')] }],
    problems: [{ source: 'marathon', code: 'INVALID_NAME', reason: 'r' }],
  };
  const stat: Snapshot = {
    specs: [
      { name: 'a.com', names: ['a.com'], requestedBy: [{ source: 'static' }] },
      { name: 'b.com', names: ['b.com', 'c.com'], requestedBy: [{ source: 'static' }] },
    ],
    problems: [],
  };
  const other = snapshot([['b.com'], m('/y', 1)]);
  const merged = mergeSnapshots([marathon, stat, other]);
  assert.deepEqual(summary(merged), [
    'a.com: a.com <- /x static',
    'b.com: b.com <- /y',
    'c.com: c.com,b.com <- static',
  ]);
  assert.deepEqual(
    merged.problems.map((p) => p.code),
    ['INVALID_NAME', 'SAN_CONFLICT'],
  );
  assert.deepEqual(mergeSnapshots([]), { specs: [], problems: [] });
});

describe('one file name wanted with different name sets', () => {
  const cases: Array<{ name: string; specs: Array<[string[], Requester]>; want: string[]; conflicts: string[] }> = [
    {
      name: "a SAN label headed by another app's name cannot take that app's own certificate",
      specs: [
        [['victim.com', 'bad.com'], m('/attacker')],
        [['victim.com'], m('/victim')],
      ],
      want: ['victim.com: victim.com <- /victim', 'bad.com: bad.com,victim.com <- /attacker'],
      conflicts: ['/attacker'],
    },
    {
      name: 'the same, listed the other way round: the same result',
      specs: [
        [['victim.com'], m('/victim')],
        [['victim.com', 'bad.com'], m('/attacker')],
      ],
      want: ['victim.com: victim.com <- /victim', 'bad.com: bad.com,victim.com <- /attacker'],
      conflicts: ['/attacker'],
    },
    {
      name: 'two SAN sets of one size: the alphabetically first keeps the file',
      specs: [
        [['a.com', 'z.com'], m('/z')],
        [['a.com', 'b.com'], m('/b')],
      ],
      want: ['a.com: a.com,b.com <- /b', 'z.com: z.com,a.com <- /z'],
      conflicts: ['/z'],
    },
    {
      name: 'a set every name of which already names a file is not ordered',
      specs: [
        [['a.com'], m('/a')],
        [['b.com'], m('/b')],
        [['a.com', 'b.com'], m('/ab')],
      ],
      want: ['a.com: a.com <- /a', 'b.com: b.com <- /b'],
      conflicts: ['/ab'],
    },
    {
      name: 'one set listed in two orders is one certificate (no conflict)',
      specs: [
        [['a.com', 'b.com', 'c.com'], m('/one')],
        [['a.com', 'c.com', 'b.com'], m('/two')],
      ],
      want: ['a.com: a.com,b.com,c.com <- /one /two'],
      conflicts: [],
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      const merged = mergeSnapshots([snapshot(...c.specs)]);
      assert.deepEqual(summary(merged), c.want);
      assert.deepEqual(
        merged.problems.map((p) => `${p.code} ${p.appId}`),
        c.conflicts.map((a) => `SAN_CONFLICT ${a}`),
      );
      // Resolved inside a source (SpecCollector) or across sources (mergeSnapshots): the same outcome.
      const collector = new SpecCollector();
      for (const [names, r] of c.specs) collector.add(names, [r]);
      assert.deepEqual(summary({ specs: collector.specList(), problems: [] }), c.want);
    });
});

test('a set with more names than the CA allows is reported (SAN_TOO_MANY_NAMES), not ordered', () => {
  const names = Array.from({ length: 26 }, (_, i) => `n${i}.example.com`);
  const s = snapshot([names, m('/big', 2)], [['small.example.com'], m('/small')]);
  const limited = mergeSnapshots([s], { maxNames: 25 });
  assert.deepEqual(summary(limited), ['small.example.com: small.example.com <- /small']);
  assert.equal(limited.problems.length, 1);
  const [p] = limited.problems;
  assert.equal(p?.code, 'SAN_TOO_MANY_NAMES');
  assert.equal(p?.appId, '/big');
  assert.equal(p?.portIndex, 2);
  assert.match(p?.reason ?? '', /26 names; the CA allows at most 25/);
  assert.equal(mergeSnapshots([s], { maxNames: 100 }).specs.length, 2, '26 names are fine at 100');
});

test('SpecCollector: the same names merge requesters once; a SAN_CONFLICT names the set that moved', () => {
  const c = new SpecCollector();
  c.add(['a.com', 'b.com'], [{ source: 'static', portIndex: 0 }]);
  c.add(['a.com', 'b.com'], [{ source: 'static', portIndex: 0 }]);
  c.add(['a.com', 'b.com'], [m('/x', 1)]);
  c.add(['a.com'], [{ source: 'static', portIndex: 2 }]);
  c.add([], [{ source: 'static', portIndex: 3 }]);
  assert.deepEqual(c.specList(), [
    { name: 'a.com', names: ['a.com'], requestedBy: [{ source: 'static', portIndex: 2 }] },
    { name: 'b.com', names: ['b.com', 'a.com'], requestedBy: [{ source: 'static', portIndex: 0 }, m('/x', 1)] },
  ]);
  assert.deepEqual(c.problems, [
    {
      source: 'static',
      portIndex: 0,
      value: 'a.com,b.com',
      code: 'SAN_CONFLICT',
      reason:
        'certificate a.com is also wanted with the names a.com, which keep that file; this set is written as b.com instead',
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

describe('mergeSnapshots reuses a spec it leaves unchanged (no second copy of thousands of specs)', () => {
  /** The merge as it was: every spec rebuilt from its names, requesters and challenge. */
  const rebuilt = (snapshots: Snapshot[]): Snapshot => {
    const c = new SpecCollector();
    for (const s of snapshots) for (const x of s.specs) c.add(x.names, x.requestedBy, x.challenge);
    return { specs: c.specList(), problems: [...snapshots.flatMap((s) => s.problems), ...c.problems] };
  };
  const spec = (names: string[], o: Partial<CertSpec> = {}): CertSpec => ({
    name: names[0]!,
    names,
    requestedBy: [m(`/${names[0]}`)],
    ...o,
  });
  const alone = spec(['a.com']);
  const dns = spec(['w.com'], { challenge: 'dns-01' });
  const san = spec(['s.com', 'www.s.com']);
  const shared = spec(['b.com']);
  const dupRequesters = spec(['d.com'], { requestedBy: [m('/d'), m('/d')] });
  const explicitUndefined = spec(['u.com'], { challenge: undefined });
  const misnamed = { ...spec(['n.com', 'o.com']), name: 'o.com' };
  const loser = spec(['a.com', 'z.com']);
  const cases: Array<{ name: string; snapshots: Snapshot[]; reused: CertSpec[]; copied: CertSpec[] }> = [
    {
      name: 'wanted by one source only, with or without a challenge, one name or several',
      snapshots: [{ specs: [alone, dns, san], problems: [] }],
      reused: [alone, dns, san],
      copied: [],
    },
    {
      name: 'the same set from two sources: requesters merged, a new spec',
      snapshots: [
        { specs: [shared], problems: [] },
        { specs: [{ ...shared, requestedBy: [{ source: 'static' }] }], problems: [] },
      ],
      reused: [],
      copied: [shared],
    },
    {
      name: 'a duplicate requester is dropped: a new spec',
      snapshots: [{ specs: [dupRequesters], problems: [] }],
      reused: [],
      copied: [dupRequesters],
    },
    {
      name: 'a `challenge: undefined` property is not kept: a new spec',
      snapshots: [{ specs: [explicitUndefined], problems: [] }],
      reused: [],
      copied: [explicitUndefined],
    },
    {
      name: 'a name that is not its first name: a new spec named by the file',
      snapshots: [{ specs: [misnamed], problems: [] }],
      reused: [],
      copied: [misnamed],
    },
    {
      name: 'the winner of a file is reused, the set that moves is a new spec',
      snapshots: [{ specs: [loser, alone], problems: [] }],
      reused: [alone],
      copied: [loser],
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      const merged = mergeSnapshots(c.snapshots);
      assert.deepEqual(merged, rebuilt(c.snapshots), 'the same outcome as rebuilding every spec');
      for (const s of c.reused) assert.ok(merged.specs.includes(s), `${s.name} reused`);
      for (const s of c.copied) assert.ok(!merged.specs.includes(s), `${s.name} not reused`);
    });
});
