import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticSnapshot, StaticSource } from '../../../src/sources/static/static-source.js';
import type { Snapshot } from '../../../src/domain/types.js';

test('static domains: one certificate per entry, names normalised, bad ones reported', () => {
  const s = staticSnapshot([['Example.COM.', 'www.example.com'], ['api.example.com'], ['../etc/passwd', 'ok.example.com'], ['*.example.com'], ['other.test']], ['example.com']);
  assert.deepEqual(s.specs.map((c) => c.names), [['example.com', 'www.example.com'], ['api.example.com'], ['ok.example.com']]);
  assert.deepEqual(s.problems.map((p) => p.code), ['INVALID_NAME', 'WILDCARD_NOT_SUPPORTED', 'DOMAIN_NOT_ALLOWED']);
  assert.equal(s.specs[0]!.requestedBy[0]!.source, 'static');
});

test('StaticSource emits its snapshot on start and on resync', async () => {
  const src = new StaticSource([['a.example.com']], []);
  const seen: Snapshot[] = [];
  const ac = new AbortController();
  const run = src.run(ac.signal, { onSnapshot: (s) => seen.push(s), onError: () => assert.fail('no errors') });
  src.resync();
  ac.abort();
  await run;
  assert.equal(seen.length, 2);
  assert.ok(src.status().lastSnapshotAt instanceof Date);
});
