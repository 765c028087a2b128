import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../../src/lib/abort.js';

test('sleep rejects promptly with AbortError when aborted', async () => {
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
});
