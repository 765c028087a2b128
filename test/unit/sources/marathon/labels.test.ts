/** The labels 0.6.1 reads (reference/marathon-acme-behaviour.md §4.1; §9.3 TestParseDomainLabel). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  domainLabel,
  domainLabelsBeyond,
  inGroup,
  parseDomainLabel,
  parseSanLabel,
  sanLabel,
} from '../../../../src/sources/marathon/labels.js';

describe('parseDomainLabel (TestParseDomainLabel)', () => {
  const cases: Array<[string, string, string[]]> = [
    ['test_single_domain', 'example.com', ['example.com']],
    ['test_separators', ' , ,   ', []],
    ['test_multiple_domains_comma', 'example.com,example2.com', ['example.com', 'example2.com']],
    ['test_multiple_domains_whitespace', 'example.com example2.com', ['example.com', 'example2.com']],
    ['test_multiple_domains_comma_whitespace', ' example.com, example2.com ', ['example.com', 'example2.com']],
    ['tabs and newlines', 'a.com\tb.com\nc.com', ['a.com', 'b.com', 'c.com']],
    [
      'unicode whitespace (Python str.split)',
      'a.com\u3000b.com\u00a0c.com\u2003d.com',
      ['a.com', 'b.com', 'c.com', 'd.com'],
    ],
    ['empty', '', []],
  ];
  for (const [name, input, want] of cases) test(name, () => assert.deepEqual(parseDomainLabel(input), want));
});

describe('parseSanLabel: true/false, case-insensitive and trimmed; anything else is unusable', () => {
  const cases: Array<[string, unknown, boolean | undefined]> = [
    ['true', 'true', true],
    ['upper case, spaces', ' TRUE ', true],
    ['false', 'False', false],
    ['yes is not a boolean', 'yes', undefined],
    ['empty', '', undefined],
    ['a JSON boolean is not a label string', true, undefined],
  ];
  for (const [name, value, want] of cases) test(name, () => assert.equal(parseSanLabel(value), want));
});

describe('inGroup: the port group label wins over the app group; exact match', () => {
  const cases: Array<[string, Record<string, unknown>, number, boolean]> = [
    ['app group', { HAPROXY_GROUP: 'external' }, 0, true],
    ['port group wins', { HAPROXY_GROUP: 'external', HAPROXY_0_GROUP: 'internal' }, 0, false],
    ['port group without app group', { HAPROXY_1_GROUP: 'external' }, 1, true],
    ['null port group is absent', { HAPROXY_GROUP: 'external', HAPROXY_0_GROUP: null }, 0, true],
    ['case-sensitive', { HAPROXY_GROUP: 'External' }, 0, false],
    ['no group never matches', {}, 0, false],
    ['beyond the key cache', { HAPROXY_100_GROUP: 'external' }, 100, true],
    [
      'inherited labels do not count',
      Object.create({ HAPROXY_GROUP: 'external' }) as Record<string, unknown>,
      0,
      false,
    ],
  ];
  for (const [name, labels, n, want] of cases) test(name, () => assert.equal(inGroup(labels, n, 'external'), want));
});

test('label names per port index, inside and beyond the key cache', () => {
  assert.equal(domainLabel(0), 'MARATHON_ACME_0_DOMAIN');
  assert.equal(domainLabel(100), 'MARATHON_ACME_100_DOMAIN');
  assert.equal(sanLabel(3), 'MARATHON_ACME_3_SAN');
  assert.equal(sanLabel(64), 'MARATHON_ACME_64_SAN');
});

test('domainLabelsBeyond: unread domain labels of ports in the group, in label order', () => {
  const labels = {
    HAPROXY_GROUP: 'external',
    HAPROXY_3_GROUP: 'internal',
    MARATHON_ACME_0_DOMAIN: 'a.com',
    MARATHON_ACME_2_DOMAIN: 'c.com',
    MARATHON_ACME_3_DOMAIN: 'd.com',
    MARATHON_ACME_4_DOMAIN: ' , ',
    MARATHON_ACME_5_DOMAIN: 7,
    MARATHON_ACME_6_DOMAIN: null,
    MARATHON_ACME_00_DOMAIN: 'padded.com',
    MARATHON_ACME_X_DOMAIN: 'x.com',
  };
  assert.deepEqual(domainLabelsBeyond(labels, 1, 'external'), [
    { label: 'MARATHON_ACME_2_DOMAIN', portIndex: 2, value: 'c.com', kind: 'beyond' },
    { label: 'MARATHON_ACME_5_DOMAIN', portIndex: 5, value: 7, kind: 'not-string' },
    { label: 'MARATHON_ACME_6_DOMAIN', portIndex: 6, value: null, kind: 'not-string' },
    { label: 'MARATHON_ACME_00_DOMAIN', portIndex: 0, value: 'padded.com', kind: 'padded-index' },
  ]);
});
