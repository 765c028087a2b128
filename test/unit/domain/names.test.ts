import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptNames, isAllowed, normalizeName, normalizeSuffix } from '../../../src/domain/names.js';
import { MAX_CERT_NAME_LENGTH } from '../../../src/domain/name-rules.js';

describe('normalizeName accepts and normalises valid names', () => {
  const cases: Array<[string, string, string]> = [
    ['plain', 'example.com', 'example.com'],
    ['trimmed', '  example.com \t', 'example.com'],
    ['lower-cased', 'WWW.Example.COM', 'www.example.com'],
    ['one trailing dot removed', 'example.com.', 'example.com'],
    ['IDN to A-label', 'bücher.de', 'xn--bcher-kva.de'],
    ['IDN upper case', 'BÜCHER.de', 'xn--bcher-kva.de'],
    ['A-label kept', 'xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['ideographic full stop (UTS #46 mapping)', 'example。com', 'example.com'],
    ['digits and inner hyphens', 'a-1.b--c.example.com', 'a-1.b--c.example.com'],
    ['63-char label', `${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
  ];
  for (const [name, input, want] of cases)
    test(name, () => assert.deepEqual(normalizeName(input), { ok: true, name: want }));
  test('the longest name (MAX_CERT_NAME_LENGTH), with and without a trailing dot', () => {
    const name251 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}`;
    assert.equal(name251.length, MAX_CERT_NAME_LENGTH);
    assert.deepEqual(normalizeName(name251), { ok: true, name: name251 }, 'exactly MAX_CERT_NAME_LENGTH characters');
    assert.equal(normalizeName(`${name251}.`).ok, true, 'the longest name plus the trailing dot');
    assert.deepEqual(normalizeName(`${name251}.`.toUpperCase()), { ok: true, name: name251 }, 'slow path, same limit');
  });
});

describe('normalizeName rejects with a stable code', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not a string', 42, 'INVALID_NAME'],
    ['empty', '', 'INVALID_NAME'],
    ['whitespace only', '   ', 'INVALID_NAME'],
    ['single label', 'localhost', 'INVALID_NAME'],
    ['slash', 'a/b.example.com', 'INVALID_NAME'],
    ['path traversal', '../etc/passwd', 'INVALID_NAME'],
    ['dot dot', 'a..example.com', 'INVALID_NAME'],
    ['backslash', 'a\\b.example.com', 'INVALID_NAME'],
    ['NUL', 'a\u0000.example.com', 'INVALID_NAME'],
    ['leading dot', '.example.com', 'INVALID_NAME'],
    ['two trailing dots', 'example.com..', 'INVALID_NAME'],
    ['underscore', 'a_b.example.com', 'INVALID_NAME'],
    ['leading hyphen', '-a.example.com', 'INVALID_NAME'],
    ['trailing hyphen', 'a-.example.com', 'INVALID_NAME'],
    ['space inside', 'a b.example.com', 'INVALID_NAME'],
    ['colon (port)', 'example.com:443', 'INVALID_NAME'],
    ['fullwidth solidus maps to /', 'a／b.example.com', 'INVALID_NAME'],
    ['bad punycode', 'xn--zz.com', 'INVALID_NAME'],
    ['numeric TLD', 'example.123', 'INVALID_NAME'],
    ['partial IPv4', '10.1.2', 'INVALID_NAME'],
    ['label too long', `${'a'.repeat(64)}.com`, 'NAME_TOO_LONG'],
    ['name too long', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, 'NAME_TOO_LONG'],
    [
      '252: a DNS name, but certs/<name>.pem would not fit',
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}`,
      'NAME_TOO_LONG',
    ],
    [
      '253: the DNS maximum, still too long for a file',
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'D'.repeat(61)}`,
      'NAME_TOO_LONG',
    ],
    ['huge', `${'a.'.repeat(5000)}com`, 'NAME_TOO_LONG'],
    ['wildcard', '*.example.com', 'WILDCARD_NOT_SUPPORTED'],
    ['inner wildcard', 'a.*.example.com', 'INVALID_NAME'],
    ['IPv4', '192.168.1.1', 'IP_ADDRESS_NOT_SUPPORTED'],
    ['IPv6', '::1', 'IP_ADDRESS_NOT_SUPPORTED'],
    ['bracketed IPv6', '[2001:db8::1]', 'IP_ADDRESS_NOT_SUPPORTED'],
    // Raw characters the URL host parser would turn into OTHER names (issue 15 point 4).
    ['percent-escaped dot (would decode to evil.example.test)', 'evil%2eexample.test', 'INVALID_NAME'],
    ['percent-escaped dots, upper case', 'bad%2Eexample%2Etest', 'INVALID_NAME'],
    ['percent-escaped letter', 'ex%61mple.com', 'INVALID_NAME'],
    ['question mark (would cut the name)', 'good.example.test?evil', 'INVALID_NAME'],
    ['hash (would cut the name)', 'good.example.test#evil', 'INVALID_NAME'],
    ['at sign (userinfo)', 'user@example.com', 'INVALID_NAME'],
    ['soft hyphen (dropped by UTS #46)', 'ex\u00adample.com', 'INVALID_NAME'],
    ['zero-width space (dropped by UTS #46)', 'ex\u200bample.com', 'INVALID_NAME'],
    ['no-break space inside', 'ex\u00a0ample.com', 'INVALID_NAME'],
    ['C1 control', 'ex\u0085ample.com', 'INVALID_NAME'],
    ['tab inside', 'ex\tample.com', 'INVALID_NAME'],
    ['fullwidth percent (maps to %)', 'evil\uff052eexample.test', 'INVALID_NAME'],
    ['tilde', 'a~b.example.com', 'INVALID_NAME'],
  ];
  for (const [name, input, code] of cases) {
    test(name, () => {
      const r = normalizeName(input);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.code, code);
        assert.ok(r.reason.length > 0);
      }
    });
  }
});

test('normalizeName allows a leading wildcard only when asked', () => {
  assert.deepEqual(normalizeName('*.Example.com', { allowWildcard: true }), { ok: true, name: '*.example.com' });
  assert.equal(normalizeName('*.com', { allowWildcard: true }).ok, false, 'wildcard needs two labels under it');
  assert.equal(normalizeName('a*.example.com', { allowWildcard: true }).ok, false);
  const base249 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}`;
  assert.equal(normalizeName(`*.${base249}`, { allowWildcard: true }).ok, true, '*. plus 249 = 251');
  const r = normalizeName(`*.${base249}d`, { allowWildcard: true });
  assert.equal(r.ok ? 'ok' : r.code, 'NAME_TOO_LONG', '*. plus 250 = 252');
});

describe('isAllowed matches already-normalised suffixes on label boundaries', () => {
  const cases: Array<[string, string[] | undefined, boolean]> = [
    ['example.com', undefined, true],
    ['example.com', [], true],
    ['example.com', ['example.com'], true],
    ['a.example.com', ['example.com'], true],
    ['a.b.example.com', ['example.com'], true],
    ['*.example.com', ['example.com'], true],
    ['*.com', ['example.com'], false],
    ['badexample.com', ['example.com'], false],
    ['example.com.evil.net', ['example.com'], false],
    ['a.example.org', ['example.com', 'example.org'], true],
    ['xn--bcher-kva.de', ['xn--bcher-kva.de'], true],
    ['a.example.com', ['other.com'], false],
    ['a.example.com', ['com'], true],
  ];
  for (const [name, suffixes, want] of cases)
    test(`${name} in ${JSON.stringify(suffixes)}`, () => assert.equal(isAllowed(name, suffixes), want));
});

describe('normalizeSuffix: one canonical form, null for anything that is not a domain', () => {
  const good: Array<[string, string]> = [
    ['  Example.COM. ', 'example.com'],
    ['*.example.com', 'example.com'],
    ['.example.com', 'example.com'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['com', 'com'],
  ];
  for (const [raw, want] of good) test(JSON.stringify(raw), () => assert.equal(normalizeSuffix(raw), want));
  for (const bad of [
    ' ',
    '',
    'a/b',
    'https://example.com',
    'example.com:443',
    'example.com/',
    'exa mple.com',
    '-a.com',
    'a..com',
    '*',
    'user@example.com',
    '_acme.example.com',
    'ex%61mple.com',
    'example.com?x',
  ]) {
    test(`${JSON.stringify(bad)} is not a suffix`, () => assert.equal(normalizeSuffix(bad), null));
  }
});

test('acceptNames: normalised, inside --allowed-domains, each once, in order; rejects reported with the raw value', () => {
  const rejected: Array<[string, string]> = [];
  const names = acceptNames(
    ['B.example.com.', 'a.example.com', 'b.example.com', 'x.other.org', 'bad_name.example.com', '*.example.com'],
    ['example.com'],
    (code, _reason, raw) => rejected.push([code, raw]),
  );
  assert.deepEqual(names, ['b.example.com', 'a.example.com']);
  assert.deepEqual(rejected, [
    ['DOMAIN_NOT_ALLOWED', 'x.other.org'],
    ['INVALID_NAME', 'bad_name.example.com'],
    ['WILDCARD_NOT_SUPPORTED', '*.example.com'],
  ]);
  assert.deepEqual(
    acceptNames(['x.other.org'], undefined, () => assert.fail('no restriction')),
    ['x.other.org'],
  );
});
