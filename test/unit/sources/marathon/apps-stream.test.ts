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

describe('apps over maxAppBytes are skipped unparsed and reported with their id and size, for any chunking', () => {
  const MAX = 300;
  const small = (id: string): Record<string, unknown> => ({
    id,
    labels: { MARATHON_ACME_0_DOMAIN: `${id.slice(1)}.com` },
  });
  const big = (id: string, n: number): Record<string, unknown> => ({
    id,
    labels: { X: 'y'.repeat(n), 'k},{"id":"/fake': '},{' },
    nested: [{ a: '},{' }, {}],
  });
  const apps = [small('/a'), big('/big1', 400), small('/b'), big('/big2', 5000), big('/big3', 290), small('/c')];
  const layouts: Array<[string, string]> = [
    ['compact', JSON.stringify({ apps })],
    ['pretty', JSON.stringify({ apps }, null, 2)],
    ['oversized last', JSON.stringify({ apps: [small('/a'), big('/big', 2000)] })],
    ['oversized only', JSON.stringify({ before: 1, apps: [big('/only', 1000)], after: [1] })],
  ];
  for (const [name, body] of layouts) {
    test(name, () => {
      const parsed = (JSON.parse(body) as { apps: Array<Record<string, unknown>> }).apps;
      const text = (a: Record<string, unknown>): number => Buffer.byteLength(JSON.stringify(a));
      const wantApps = parsed.filter((a) => text(a) <= MAX);
      const wantBig = parsed.filter((a) => text(a) > MAX).map((a) => a['id']);
      for (const chunks of chunkings(Buffer.from(body), body.length, 10)) {
        const got: unknown[] = [];
        const over: Array<[string | undefined, number]> = [];
        const p = new AppsStreamParser((a) => got.push(a), {
          maxAppBytes: MAX,
          onOversized: (id, bytes, max) => {
            assert.equal(max, MAX);
            over.push([id, bytes]);
          },
        });
        for (const c of chunks) p.feed(c);
        assert.equal(p.end(), parsed.length, 'every element counts');
        assert.deepEqual(got, wantApps);
        assert.deepEqual(
          over.map(([id]) => id),
          wantBig,
        );
        for (const [, bytes] of over) assert.ok(bytes > MAX);
        if (name === 'compact') {
          const sizes = parsed.filter((a) => text(a) > MAX).map(text);
          assert.deepEqual(
            over.map(([, b]) => b),
            sizes,
          );
        }
      }
    });
  }
  test('a malformed body with an oversized element is still rejected', () => {
    for (const body of [
      `{"apps":[{"id":"/x","a":"${'z'.repeat(100)}"},]}`,
      `{"apps":[{"id":"/x","a":"${'z'.repeat(100)}"}`,
    ]) {
      const p = new AppsStreamParser(() => undefined, { maxAppBytes: 10 });
      assert.throws(
        () => {
          p.feed(Buffer.from(body));
          p.end();
        },
        (e: unknown) => e instanceof AppError && e.code === 'MARATHON_BAD_RESPONSE',
        body.slice(-20),
      );
    }
  });
});

test('a large app in small chunks is parsed a bounded number of times (no re-parse per chunk)', () => {
  const nested = Array.from({ length: 20_000 }, (_, i) => ({ k: i, v: '},{' }));
  const body = Buffer.from(JSON.stringify({ apps: [{ id: '/a' }, { id: '/large', nested }, { id: '/b' }] }));
  const parse = JSON.parse;
  let parsedChars = 0;
  JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
    parsedChars += text.length;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  let got: unknown[];
  try {
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 16 * 1024) chunks.push(body.subarray(i, i + 16 * 1024));
    got = readChunks(chunks);
  } finally {
    JSON.parse = parse;
  }
  assert.equal(got.length, 3);
  assert.ok(body.length > 400_000, `${body.length}`);
  assert.ok(parsedChars < 3 * body.length, `${parsedChars} characters parsed for a ${body.length}-byte body`);
});
