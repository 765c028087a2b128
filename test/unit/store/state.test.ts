import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAccountState, parseStateRecord } from '../../../src/store/state.js';

const record = { name: 'a.example', names: ['a.example'], requestedBy: [], failures: 0 };

test('a state record without issuer (1.0) loads; one with it keeps it; a bad one is corrupt', () => {
  assert.equal(parseStateRecord('a.example', JSON.stringify(record)).issuer, undefined);
  const url = 'https://acme-v02.api.letsencrypt.org/directory';
  assert.equal(parseStateRecord('a.example', JSON.stringify({ ...record, issuer: url })).issuer, url);
  assert.throws(() => parseStateRecord('a.example', JSON.stringify({ ...record, issuer: 5 })), {
    code: 'STATE_CORRUPT',
  });
});

const T = '2026-11-22T12:00:00.000Z';
const accountCases: Array<{ name: string; text: string; want: unknown }> = [
  { name: '1.0 shape', text: JSON.stringify({ newOrders: [T, 'bogus', 5] }), want: { newOrders: [T] } },
  {
    name: 'per-CA shape, unknown fields of an entry kept, bad entries dropped',
    text: JSON.stringify({ cas: { 'https://a/dir': { newOrders: [T, 'x'], later: true }, 'https://b/dir': 7 } }),
    want: { cas: { 'https://a/dir': { newOrders: [T], later: true } } },
  },
  {
    name: 'an entry without newOrders',
    text: JSON.stringify({ cas: { u: {} } }),
    want: { cas: { u: { newOrders: [] } } },
  },
  { name: 'empty object', text: '{}', want: {} },
];
for (const c of accountCases)
  test(`parseAccountState: ${c.name}`, () => {
    assert.deepEqual(parseAccountState(c.text), c.want);
  });

test('parseAccountState: not JSON or not an object throws', () => {
  assert.throws(() => parseAccountState('{not json'));
  assert.throws(() => parseAccountState('null'));
  assert.throws(() => parseAccountState('[]'));
});
