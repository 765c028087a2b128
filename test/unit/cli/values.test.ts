import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedDomains, FlagValues, list, parseStaticDomains } from '../../../src/cli/values.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const values = (raw: Record<string, string | boolean>) => new FlagValues((name) => raw[name]);

test('static --domains: ; separates certificates, , or space the names of one', () => {
  assert.deepEqual(parseStaticDomains('example.com,www.example.com;api.example.com'), [
    ['example.com', 'www.example.com'],
    ['api.example.com'],
  ]);
  assert.deepEqual(parseStaticDomains(' a.example  b.example ; ;'), [['a.example', 'b.example']]);
  assert.deepEqual(parseStaticDomains(''), []);
});

test('list: comma-separated, trimmed, empty entries dropped', () => {
  assert.deepEqual(list(' a, b,,c '), ['a', 'b', 'c']);
  assert.deepEqual(list(undefined), []);
});

test('allowedDomains: normalised suffixes, no value means no restriction', () => {
  assert.deepEqual(allowedDomains(undefined), []);
  assert.deepEqual(allowedDomains(' '), []);
  assert.deepEqual(allowedDomains('*.Example.COM.,example.com'), ['example.com']);
  assert.throws(() => allowedDomains(' , '), /no domain given/);
});

test('FlagValues readers: the usage errors of 0.6.1', async (t) => {
  const cases: Array<{ name: string; read: () => unknown; want?: unknown; error?: string }> = [
    { name: 'bool from env', read: () => values({ x: 'Yes' }).bool('x'), want: true },
    { name: 'bool empty is false', read: () => values({ x: '' }).bool('x'), want: false },
    {
      name: 'bool bad',
      read: () => values({ x: 'maybe' }).bool('x'),
      error: "argument --x: invalid boolean value: 'maybe'",
    },
    { name: 'seconds', read: () => values({ x: ' 2.5 ' }).num('x', 'seconds'), want: 2.5 },
    { name: 'seconds default', read: () => values({}).num('x', 'seconds', 7), want: 7 },
    {
      name: 'float bad',
      read: () => values({ x: 'abc' }).num('x', 'seconds'),
      error: "argument --x: invalid float value: 'abc'",
    },
    {
      name: 'int fraction',
      read: () => values({ x: '1.5' }).num('x', 'int'),
      error: "argument --x: invalid int value: '1.5'",
    },
    {
      name: 'int negative',
      read: () => values({ x: '-1' }).num('x', 'int'),
      error: "argument --x: invalid int value: '-1'",
    },
    {
      name: 'fraction 0',
      read: () => values({ x: '0' }).num('x', 'fraction'),
      error: "argument --x: must be in (0, 1]: '0'",
    },
    { name: 'fraction 1', read: () => values({ x: '1' }).num('x', 'fraction'), want: 1 },
    {
      name: 'choice bad',
      read: () => values({ x: 'c' }).choice('x', ['a', 'b']),
      error: "argument --x: invalid choice: 'c' (choose from 'a', 'b')",
    },
    { name: 'value-less string flag', read: () => values({ x: true }).str('x'), want: '' },
    {
      name: 'text trims, blank is undefined',
      read: () => [values({ x: ' a ' }).text('x'), values({ x: ' ' }).text('x')],
      want: ['a', undefined],
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      if (c.error === undefined) assert.deepEqual(c.read(), c.want);
      else assert.throws(c.read, (e: unknown) => e instanceof UsageError && e.message === c.error);
    });
  }
});
