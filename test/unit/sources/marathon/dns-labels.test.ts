/** Wildcards and `MARATHON_ACME_{n}_CHALLENGE` in Marathon labels (issue 12). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appsToSnapshot, type LabelOptions } from '../../../../src/sources/marathon/translate.js';
import { staticSnapshot } from '../../../../src/sources/static/static-source.js';

const OPTS: LabelOptions = { group: 'external', allowMultipleCerts: false, san: true };
const app = (id: string, labels: Record<string, unknown>) => ({
  id,
  labels: { HAPROXY_GROUP: 'external', ...labels },
  portDefinitions: [{ port: 10000, protocol: 'tcp', labels: {} }],
});

test('a wildcard label is rejected without a DNS provider, accepted with one', () => {
  const apps = [app('/w', { MARATHON_ACME_0_DOMAIN: '*.apps.example.com,apps.example.com' })];
  const off = appsToSnapshot(apps, OPTS);
  assert.deepEqual(
    off.problems.map((p) => p.code),
    ['WILDCARD_NOT_SUPPORTED'],
  );
  assert.deepEqual(
    off.specs.map((s) => s.names),
    [['apps.example.com']],
  );
  const on = appsToSnapshot(apps, { ...OPTS, allowWildcard: true });
  assert.deepEqual(on.problems, []);
  assert.deepEqual(
    on.specs.map((s) => s.names),
    [['*.apps.example.com', 'apps.example.com']],
  );
});

test('MARATHON_ACME_{n}_CHALLENGE sets the spec challenge; a bad value is a BAD_LABEL problem', () => {
  const s = appsToSnapshot(
    [
      app('/a', { MARATHON_ACME_0_DOMAIN: 'a.example.com', MARATHON_ACME_0_CHALLENGE: 'dns-01' }),
      app('/b', { MARATHON_ACME_0_DOMAIN: 'b.example.com', MARATHON_ACME_0_CHALLENGE: 'HTTP-01' }),
      app('/c', { MARATHON_ACME_0_DOMAIN: 'c.example.com', MARATHON_ACME_0_CHALLENGE: 'smoke-signals' }),
    ],
    OPTS,
  );
  assert.deepEqual(
    s.specs.map((x) => [x.name, x.challenge]),
    [
      ['a.example.com', 'dns-01'],
      ['b.example.com', 'http-01'],
      ['c.example.com', undefined],
    ],
  );
  assert.deepEqual(
    s.problems.map((p) => [p.code, p.label]),
    [['BAD_LABEL', 'MARATHON_ACME_0_CHALLENGE']],
  );
});

test('two apps asking the same name with different challenges: dns-01 wins', () => {
  const s = appsToSnapshot(
    [
      app('/a', { MARATHON_ACME_0_DOMAIN: 'x.example.com', MARATHON_ACME_0_CHALLENGE: 'http-01' }),
      app('/b', { MARATHON_ACME_0_DOMAIN: 'x.example.com', MARATHON_ACME_0_CHALLENGE: 'dns-01' }),
    ],
    OPTS,
  );
  assert.deepEqual(
    s.specs.map((x) => x.challenge),
    ['dns-01'],
  );
});

test('--domains accepts wildcards only with a DNS provider', () => {
  assert.deepEqual(
    staticSnapshot([['*.a.example.com', 'a.example.com']], []).problems.map((p) => p.code),
    ['WILDCARD_NOT_SUPPORTED'],
  );
  assert.deepEqual(
    staticSnapshot([['*.a.example.com', 'a.example.com']], [], true).specs.map((s) => s.name),
    ['*.a.example.com'],
  );
});
