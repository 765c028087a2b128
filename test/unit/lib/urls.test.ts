import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, splitUserinfo } from '../../../src/lib/urls.js';

test('redactUrl hides the whole userinfo, also with @ or / in the password', async (t) => {
  const cases: Array<{ name: string; raw: string; want?: string }> = [
    { name: 'no userinfo', raw: 'http://marathon.mesos:8080', want: 'http://marathon.mesos:8080' },
    { name: 'user and password', raw: 'http://user:secret@host:8080/base', want: 'http://***@host:8080/base' },
    { name: '@ in the password', raw: 'http://user:p@ss@host:8080', want: 'http://***@host:8080/' },
    // Where the userinfo ends is ambiguous here: only that nothing of the password leaks is checked.
    { name: '/ in the password', raw: 'http://user:p/ss@host' },
    { name: 'not a URL', raw: 'not a url user:pw@x', want: 'not a url user:pw@x' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const got = redactUrl(c.raw);
      assert.ok(!/secret|p@ss|p\/ss|ss@/.test(got), `${c.raw} -> ${got} leaks`);
      if (c.want !== undefined) assert.equal(got, c.want);
    });
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
