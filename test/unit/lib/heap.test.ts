import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWING_PERCENT, heapGrowingFlag } from '../../../src/lib/heap.js';

test('heapGrowingFlag: ours unless node was given its own', async (t) => {
  const ours = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  const cases: Array<[string, string[], string | undefined]> = [
    ['no node flags', [], ours],
    ['other flags only', ['--max-semi-space-size=1', '--enable-source-maps'], ours],
    ['the operator chose a value', ['--heap-growing-percent=50'], undefined],
    ['underscore spelling', ['--heap_growing_percent=50'], undefined],
    ['value as the next argument', ['--heap-growing-percent', '50'], undefined],
    ['a different flag with the same prefix', ['--heap-growing-percentage=5'], ours],
  ];
  for (const [name, argv, want] of cases) await t.test(name, () => assert.equal(heapGrowingFlag(argv), want));
});
