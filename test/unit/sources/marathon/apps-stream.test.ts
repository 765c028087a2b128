/**
 * The streaming `/v2/apps` reader must give exactly what `JSON.parse(body).apps` gives, for any
 * chunking, and reject exactly what `JSON.parse` rejects (or a body without an `apps` list).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppsStreamParser } from '../../../../src/sources/marathon/apps-stream.js';
import { AppError } from '../../../../src/lib/errors.js';
import { generateCluster } from '../../../support/marathon-simulator/generator.js';
import { seededRandom } from '../../../support/random.js';

const rng = seededRandom;

function readChunks(chunks: Buffer[]): unknown[] {
  const out: unknown[] = [];
  const p = new AppsStreamParser((a) => out.push(a));
  for (const c of chunks) p.feed(c);
  assert.equal(p.end(), out.length);
  return out;
}

function chunkings(bytes: Buffer, seed: number, count: number): Buffer[][] {
  const r = rng(seed);
  const all: Buffer[][] = [[bytes], [...bytes].map((b) => Buffer.from([b]))];
  for (let k = 0; k < count; k++) {
    const chunks: Buffer[] = [];
    let i = 0;
    const max = 1 + Math.floor(r() * 40);
    while (i < bytes.length) {
      const n = 1 + Math.floor(r() * max);
      chunks.push(bytes.subarray(i, i + n));
      i += n;
    }
    all.push(chunks);
  }
  return all;
}

const TRICKY = [
  { id: '/a', labels: { MARATHON_ACME_0_DOMAIN: 'a.com, b.com' } },
  { id: '/quotes"and\\backslashes\\\\', labels: { 'k"[{': 'v]}",\\"', x: '\\' } },
  { id: '/unicode-ü-😀-\u2028', labels: { ключ: 'значение' }, n: [1, 2.5e-3, -0, true, false, null] },
  null,
  'a string app',
  42,
  [],
  [{}],
  {},
  { id: '/nested', container: { docker: { portMappings: [{ a: [[[]]] }, { b: 1 }, {}] } } },
  // Separators inside strings and deeper levels must never be taken for app boundaries.
  { id: '/evil},{', labels: { MARATHON_ACME_0_DOMAIN: 'x"},{"id":"/injected', y: '},{', z: '\\},{' } },
  { id: '/deep', a: [{}, {}], b: { c: [{ d: '},{' }, {}] } },
  { id: '/deployments', deployments: [{ id: 'd1' }, { id: 'd2' }], x: [[{ id: '},{"id":"' }, { id: 'y' }]] },
];

test('gives JSON.parse(body).apps for any chunking', () => {
  const bodies = [
    JSON.stringify({ apps: TRICKY }),
    JSON.stringify({ apps: TRICKY }, null, 2),
    JSON.stringify({ apps: [] }),
    '{ "apps" : [ ] }',
    '{"other":{"apps":[1]},"apps":[1,2],"x":"apps"}',
    `${'\ufeff'.slice(1)} \n{"apps":\r\n[ {"id":"/x"} ,\n {"id":"/y"} ] }\n`,
    JSON.stringify({ version: 1, apps: generateCluster({ apps: 20 }), tail: { a: [1, 2] } }),
  ];
  bodies.forEach((body, n) => {
    const want = (JSON.parse(body) as { apps: unknown[] }).apps;
    for (const chunks of chunkings(Buffer.from(body, 'utf8'), n + 1, 40))
      assert.deepEqual(readChunks(chunks), want, `body ${n}`);
  });
});

test('an apps key written with escapes is still read (from the skeleton)', () => {
  assert.deepEqual(readChunks([Buffer.from('{"\\u0061pps":[{"id":"/e"}]}')]), [{ id: '/e' }]);
});

describe('rejects what JSON.parse rejects, and bodies without an apps list', () => {
  const bad = [
    '',
    '{',
    '{"apps":[1,]}',
    '{"apps":[,1]}',
    '{"apps":[1 2]}',
    '{"apps":[{"id":}]}',
    '{"apps":[1]',
    '{"apps":[1]}}',
    '{"apps":[1]} x',
    '{"apps" [1]}',
    '{"apps":[1],}',
    '[1,2]',
    '{"apps":{}}',
    '{"other":[]}',
    '{"apps":"[]"}',
    'null',
    '{"apps":["unterminated]}',
    '<html>apps</html>',
    '{"apps":[1],"apps":[2]}',
  ];
  for (const body of bad) {
    test(JSON.stringify(body), () => {
      let threw = false;
      try {
        for (const chunks of chunkings(Buffer.from(body), 3, 5)) {
          try {
            readChunks(chunks);
          } catch (err) {
            assert.ok(err instanceof AppError, `${JSON.stringify(body)}: ${String(err)}`);
            assert.equal(err.code, 'MARATHON_BAD_RESPONSE');
            threw = true;
            continue;
          }
          assert.fail(`accepted ${JSON.stringify(body)}`);
        }
      } finally {
        assert.ok(threw, JSON.stringify(body));
      }
    });
  }
});

test('random JSON bodies agree with JSON.parse', () => {
  const r = rng(7);
  const strs = ['"', '\\', '\\"', '[', ']', '{', '}', ',', 'apps', 'ü', '😀', ' '];
  const value = (d: number): unknown => {
    const k = Math.floor(r() * (d > 3 ? 4 : 6));
    if (k === 0) return null;
    if (k === 1) return Math.floor(r() * 100);
    if (k === 2 || k === 3)
      return Array.from({ length: Math.floor(r() * 4) }, () => strs[Math.floor(r() * strs.length)]).join('');
    if (k === 4) return Array.from({ length: Math.floor(r() * 3) }, () => value(d + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < Math.floor(r() * 3); i++) o[String(value(5))] = value(d + 1);
    return o;
  };
  for (let k = 0; k < 200; k++) {
    const apps = Array.from({ length: Math.floor(r() * 5) }, () => value(0));
    const body = JSON.stringify({ before: value(2), apps, after: value(2) });
    for (const chunks of chunkings(Buffer.from(body), k, 3)) assert.deepEqual(readChunks(chunks), apps, body);
  }
});

test('what onApp throws propagates (the caller discards a partial reading)', () => {
  const p = new AppsStreamParser(() => {
    throw new Error('consumer');
  });
  assert.throws(() => p.feed(Buffer.from('{"apps":[1,2]}')), /consumer/);
});
