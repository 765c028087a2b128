import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticSnapshot, StaticSource } from '../../../../src/sources/static/static-source.js';
import type { Snapshot } from '../../../../src/domain/types.js';
import { appsToSnapshot } from '../../../../src/sources/marathon/translate.js';
import { parseCli } from '../../../../src/cli/index.js';

test('static domains: one certificate per entry, names normalised, bad ones reported', () => {
  const s = staticSnapshot(
    [
      ['Example.COM.', 'www.example.com'],
      ['api.example.com'],
      ['../etc/passwd', 'ok.example.com'],
      ['*.example.com'],
      ['other.test'],
    ],
    ['example.com'],
  );
  assert.deepEqual(
    s.specs.map((c) => c.names),
    [['example.com', 'www.example.com'], ['api.example.com'], ['ok.example.com']],
  );
  assert.deepEqual(
    s.problems.map((p) => p.code),
    ['INVALID_NAME', 'WILDCARD_NOT_SUPPORTED', 'DOMAIN_NOT_ALLOWED'],
  );
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

test('Marathon labels and static domains apply the same --allowed-domains rule', () => {
  const r = parseCli(['--allowed-domains', '*.Example.com', '/s'], {});
  assert.equal(r.kind, 'run');
  const allowed = (r as Extract<typeof r, { kind: 'run' }>).config.allowedDomains;
  const raw = ['a.example.com', 'b.other.org', 'bad..name', 'a.example.com'];
  const fromStatic = staticSnapshot(
    raw.map((n) => [n]),
    allowed,
  );
  const fromMarathon = appsToSnapshot(
    [
      {
        id: '/a',
        labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: raw.join(',') },
        portDefinitions: [{ port: 1 }],
      },
    ],
    { group: 'external', allowMultipleCerts: true, san: false, allowedDomains: allowed },
  );
  assert.deepEqual(
    fromStatic.specs.map((s) => s.name),
    ['a.example.com'],
  );
  assert.deepEqual(
    fromMarathon.specs.map((s) => s.name),
    ['a.example.com'],
  );
  assert.deepEqual(
    fromStatic.problems.map((p) => p.code),
    ['DOMAIN_NOT_ALLOWED', 'INVALID_NAME'],
  );
  assert.deepEqual(
    fromMarathon.problems.map((p) => p.code),
    ['DOMAIN_NOT_ALLOWED', 'INVALID_NAME'],
  );
});

test('StaticSource: a throwing snapshot handler never makes run reject or resync throw', async () => {
  const src = new StaticSource([['a.example.com']], []);
  let calls = 0;
  const ac = new AbortController();
  const run = src.run(ac.signal, {
    onSnapshot: () => {
      calls++;
      throw new Error('handler bug');
    },
    onError: () => assert.fail('no errors'),
  });
  assert.doesNotThrow(() => src.resync());
  ac.abort();
  await run; // resolves
  assert.equal(calls, 2);
});
