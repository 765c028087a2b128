/**
 * Property/fuzz test: random app JSON and random label values never make `appsToSnapshot` throw, and
 * every snapshot keeps the CertSpec invariants (types.ts): name = names[0], names normalised and
 * unique, at least one requester, file names unique and safe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appsToSnapshot, type LabelOptions } from '../../../../src/sources/marathon/translate.js';
import { normalizeName, isAllowed } from '../../../../src/domain/names.js';
import type { Snapshot } from '../../../../src/domain/types.js';
import { seededRandom } from '../../../support/random.js';

const rng = seededRandom;

const NASTY = [
  '',
  ' ',
  ',',
  'example.com',
  'EXAMPLE.com.',
  'a.example.com,b.example.com',
  'bücher.de',
  '*.example.com',
  '../x',
  'a/b',
  '\u0000',
  'xn--zz.com',
  '1.2.3.4',
  '::1',
  'a'.repeat(300),
  'a.'.repeat(200),
  '\ud800.com',
  'ａ.com',
  'a..b',
  '.a.com',
  'a\u3000b.com',
  '😀.com',
  'a b c d e f',
  'x.y\n',
  '__proto__',
  'constructor',
  'toString',
  'external',
  'true',
  'false',
];
const KEYS = [
  'HAPROXY_GROUP',
  'HAPROXY_0_GROUP',
  'HAPROXY_1_GROUP',
  'MARATHON_ACME_0_DOMAIN',
  'MARATHON_ACME_1_DOMAIN',
  'MARATHON_ACME_2_DOMAIN',
  'MARATHON_ACME_0_SAN',
  'MARATHON_ACME_1_SAN',
  'MARATHON_ACME_99999999999999999999_DOMAIN',
  '__proto__',
  'constructor',
  'x',
];

function randomJson(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 2000) - 1000;
    case 3:
      return NASTY[Math.floor(r() * NASTY.length)];
    case 4:
      return r() * 1e308;
    case 5:
      return String.fromCharCode(...Array.from({ length: Math.floor(r() * 8) }, () => Math.floor(r() * 0xffff)));
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(r() * 4);
      for (let i = 0; i < n; i++)
        o[pick(r, ['mode', 'docker', 'network', 'portMappings', 'ports', 'discovery', 'x', 'name'])] = randomJson(
          r,
          depth + 1,
        );
      return o;
    }
  }
}
function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomApp(r: () => number): unknown {
  if (r() < 0.05) return randomJson(r, 0);
  const app: Record<string, unknown> = {};
  if (r() < 0.95) app['id'] = r() < 0.9 ? `/app-${Math.floor(r() * 50)}` : randomJson(r, 1);
  if (r() < 0.95) {
    const labels: Record<string, unknown> = {};
    const n = Math.floor(r() * 8);
    for (let i = 0; i < n; i++) labels[pick(r, KEYS)] = r() < 0.9 ? pick(r, NASTY) : randomJson(r, 1);
    if (r() < 0.7) labels['HAPROXY_GROUP'] = 'external';
    app['labels'] = r() < 0.97 ? labels : randomJson(r, 1);
  }
  for (const f of ['networks', 'container', 'ipAddress', 'portDefinitions', 'ports']) {
    if (r() < 0.3) {
      app[f] =
        f === 'networks' && r() < 0.5
          ? [{ mode: pick(r, ['host', 'container', 'container/bridge', 'bad', undefined]) }]
          : (f === 'portDefinitions' || f === 'ports') && r() < 0.7
            ? Array.from({ length: Math.floor(r() * 4) }, () => ({ port: 1 }))
            : randomJson(r, 1);
    }
  }
  return app;
}

function checkInvariants(s: Snapshot, opts: LabelOptions, where: string): void {
  const files = new Set<string>();
  for (const spec of s.specs) {
    assert.equal(spec.name, spec.names[0], where);
    assert.ok(!files.has(spec.name), `${where}: duplicate file ${spec.name}`);
    files.add(spec.name);
    assert.equal(new Set(spec.names).size, spec.names.length, `${where}: duplicate names`);
    for (const n of spec.names) {
      assert.deepEqual(normalizeName(n), { ok: true, name: n }, `${where}: ${n} is normalised`);
      assert.ok(isAllowed(n, opts.allowedDomains), where);
      assert.ok(!/[/\\\0]/.test(n) && !n.includes('..'), where);
    }
    assert.ok(spec.requestedBy.length >= 1, where);
  }
  for (const p of s.problems) {
    assert.equal(typeof p.code, 'string', where);
    assert.equal(typeof p.reason, 'string', where);
    if (p.value !== undefined) assert.ok(p.value.length <= 121, `${where}: excerpt bounded`);
  }
}

test('appsToSnapshot never throws on random apps and keeps the CertSpec invariants', () => {
  const r = rng(20261122);
  for (let iter = 0; iter < 3000; iter++) {
    const apps = r() < 0.02 ? randomJson(r, 0) : Array.from({ length: Math.floor(r() * 6) }, () => randomApp(r));
    const opts: LabelOptions = {
      group: r() < 0.9 ? 'external' : 'internal',
      allowMultipleCerts: r() < 0.5,
      san: r() < 0.3,
      ...(r() < 0.3 ? { allowedDomains: ['example.com', 'xn--bcher-kva.de'] } : {}),
    };
    let s: Snapshot;
    try {
      s = appsToSnapshot(apps, opts);
    } catch (err) {
      assert.fail(`iteration ${iter} threw ${String(err)} on ${JSON.stringify(apps)?.slice(0, 500)}`);
    }
    checkInvariants(s, opts, `iteration ${iter}`);
  }
});

test('objects with hostile prototypes and getters do not escape', () => {
  const throwing = {
    id: '/t',
    get labels(): never {
      throw new Error('boom');
    },
  };
  const protoLabels = Object.create({ MARATHON_ACME_0_DOMAIN: 'inherited.com', HAPROXY_GROUP: 'external' }) as Record<
    string,
    unknown
  >;
  const s = appsToSnapshot(
    [
      throwing,
      { id: '/p', labels: protoLabels, portDefinitions: [{}] },
      { id: '/ok', labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'ok.com' }, portDefinitions: [{}] },
    ],
    {
      group: 'external',
      allowMultipleCerts: false,
      san: false,
    },
  );
  assert.deepEqual(
    s.specs.map((x) => x.name),
    ['ok.com'],
    'the throwing getter is contained; inherited labels are not labels',
  );
  assert.equal(s.problems.length, 1);
});
