import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncFeed } from '../../../../src/http/sync/feed.js';
import { parseNames } from '../../../../src/http/sync/server.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

test('feed: not ready (503) until the first scan, then version 1', () => {
  const f = new SyncFeed('e', 0);
  assert.equal(f.ready, false);
  f.update('x', A); // ignored before the first scan
  f.setAll(new Map(), null);
  assert.equal(f.ready, true);
  assert.deepEqual(f.snapshot(), { epoch: 'e', version: 1, certificates: [], default: null });
});

test('feed: the version grows only on a real change', () => {
  const f = new SyncFeed('e', 0);
  f.setAll(new Map([['x', A]]), B);
  f.setAll(new Map([['x', A]]), B);
  assert.equal(f.currentVersion, 1);
  f.update('x', A);
  assert.equal(f.currentVersion, 1);
  f.update('y', B);
  assert.equal(f.currentVersion, 2);
  f.update('x', null);
  assert.equal(f.currentVersion, 3);
  assert.deepEqual(f.snapshot().certificates, [{ name: 'y', sha256: B }]);
  f.update('gone', null);
  assert.equal(f.currentVersion, 3);
});

test('feed: a long-poll answers at once for another epoch or an older version', async () => {
  const f = new SyncFeed('e', 0);
  f.setAll(new Map([['x', A]]), null);
  assert.equal((await f.waitForChange('other', 99, 60_000)).version, 1);
  assert.equal((await f.waitForChange('e', 0, 60_000)).version, 1);
});

test('feed: a long-poll wakes on a change, after the debounce, with the whole burst', async () => {
  const f = new SyncFeed('e', 20);
  f.setAll(new Map(), null);
  const p = f.waitForChange('e', 1, 60_000);
  assert.equal(f.waiting, 1);
  f.update('x', A);
  f.update('y', B);
  const s = await p;
  assert.equal(s.version, 3);
  assert.equal(s.certificates.length, 2);
  assert.equal(f.waiting, 0);
});

test('feed: a long-poll ends on timeout or abort with the same version', async () => {
  const f = new SyncFeed('e', 0);
  f.setAll(new Map(), null);
  assert.equal((await f.waitForChange('e', 1, 10)).version, 1);
  const ac = new AbortController();
  const p = f.waitForChange('e', 1, 60_000, ac.signal);
  ac.abort();
  assert.equal((await p).version, 1);
});

const names: [string, string | null, string[] | null][] = [
  ['a list of names', '{"names":["a","b","a"]}', ['a', 'b']],
  ['not JSON', 'nope', null],
  ['no list', '{"names":"a"}', null],
  ['a non-string', '{"names":[1]}', null],
  ['too many', JSON.stringify({ names: Array.from({ length: 201 }, (_, i) => `n${i}`) }), null],
  ['no body', null, null],
];
for (const [name, body, want] of names) test(`parseNames: ${name}`, () => assert.deepEqual(parseNames(body), want));
