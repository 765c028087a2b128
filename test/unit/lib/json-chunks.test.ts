import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonChunks } from '../../../src/lib/json-chunks.js';

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `c${i}.example`, n: i, at: new Date(i * 1000) }));

test('jsonChunks: the same text as JSON.stringify, the streamed field in its place', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string, unknown[]]> = [
    [
      'streamed field in the middle',
      { version: '1', certificates: null, queue: { running: 1 } },
      'certificates',
      items(3),
    ],
    ['streamed field first', { certificates: 0, b: [1, 2] }, 'certificates', items(2)],
    ['streamed field last', { a: 'x', certificates: 0 }, 'certificates', items(2)],
    ['no items', { a: 1, certificates: 0, z: 2 }, 'certificates', []],
    [
      'undefined and function fields left out',
      { a: undefined, f: () => 1, certificates: 0, d: new Date(0) },
      'certificates',
      items(1),
    ],
    ['items without JSON text are null, as in an array', { certificates: 0 }, 'certificates', [undefined, 1, () => 2]],
    ['strings that need escaping', { 'k"\n': 'v\u0000"', certificates: 0 }, 'certificates', ['"certificates":[', '\\']],
    ['many items across chunks', { head: 'h', certificates: 0, tail: 't' }, 'certificates', items(500)],
  ];
  for (const [name, o, key, list] of cases) {
    await t.test(name, () => {
      const chunks = [...jsonChunks(o, key, list, 256)];
      assert.equal(chunks.join(''), JSON.stringify({ ...o, [key]: list }));
      for (const c of chunks.slice(0, -1)) assert.ok(c.length >= 256, 'every chunk but the last is full');
    });
  }
});

test('jsonChunks: items are read one at a time, after the fields before them', () => {
  const order: string[] = [];
  function* gen() {
    for (let i = 0; i < 3; i++) {
      order.push(`item ${i}`);
      yield i;
    }
  }
  const o = {
    get before() {
      order.push('before');
      return 1;
    },
    certificates: 0,
  };
  assert.equal([...jsonChunks(o, 'certificates', gen())].join(''), '{"before":1,"certificates":[0,1,2]}');
  assert.deepEqual(order, ['before', 'item 0', 'item 1', 'item 2']);
});
