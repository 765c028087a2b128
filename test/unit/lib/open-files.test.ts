import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OWN_FILES_MARGIN,
  openFileLimits,
  openFilesSuffice,
  parseOpenFileLimits,
} from '../../../src/lib/open-files.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;

const cases: [string, string, ReturnType<typeof parseOpenFileLimits>][] = [
  ['a Linux limits file', LIMITS, { soft: 1024, hard: 524288 }],
  [
    'unlimited',
    LIMITS.replace('1024                 524288', 'unlimited            unlimited'),
    { soft: Infinity, hard: Infinity },
  ],
  ['no such line', 'Max cpu time unlimited unlimited seconds\n', undefined],
];
for (const [name, text, expected] of cases)
  test(`parseOpenFileLimits: ${name}`, () => assert.deepEqual(parseOpenFileLimits(text), expected));

test('openFilesSuffice needs room for the connections and the daemon own files', () => {
  assert.equal(openFilesSuffice(1024, 4096), false);
  assert.equal(openFilesSuffice(4096 + OWN_FILES_MARGIN, 4096), true);
  assert.equal(openFilesSuffice(Infinity, 4096), true);
});

test('openFileLimits reads this process limits on Linux', async () => {
  const l = await openFileLimits();
  assert.ok(l && l.soft > 0 && l.hard >= l.soft);
});
