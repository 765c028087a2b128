/** `--zk` values: Marathon's zk:// syntax, digest credentials, paths; errors never show the password. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeZk, parseZkUrl, type ZkTarget } from '../../../src/config/zk-url.js';

const good: Array<{ name: string; value: string; want: ZkTarget }> = [
  {
    name: 'three servers and a path (the DC/OS form)',
    value: 'zk://zk1:2181,zk2:2181,zk3:2181/marathon-acme',
    want: {
      servers: [
        { host: 'zk1', port: 2181 },
        { host: 'zk2', port: 2181 },
        { host: 'zk3', port: 2181 },
      ],
      path: '/marathon-acme',
    },
  },
  {
    name: 'master.mesos without a port is on 2181, nested path, trailing slash dropped',
    value: 'zk://master.mesos/a/b/',
    want: { servers: [{ host: 'master.mesos', port: 2181 }], path: '/a/b' },
  },
  {
    name: 'digest credentials, percent-decoded',
    value: 'zk://acme:p%40ss:w@127.0.0.1:2182/x',
    want: { servers: [{ host: '127.0.0.1', port: 2182 }], path: '/x', auth: { user: 'acme', password: 'p@ss:w' } },
  },
  {
    name: 'an IPv6 literal in brackets',
    value: 'zk://[::1]:2181/x',
    want: { servers: [{ host: '::1', port: 2181 }], path: '/x' },
  },
];

for (const c of good) {
  test(`parseZkUrl: ${c.name}`, () => {
    assert.deepEqual(parseZkUrl(c.value), c.want);
  });
}

const bad: Array<{ name: string; value: string }> = [
  { name: 'another scheme', value: 'http://zk1:2181/x' },
  { name: 'no path', value: 'zk://zk1:2181' },
  { name: 'the root as path', value: 'zk://zk1:2181/' },
  { name: 'an empty path segment', value: 'zk://zk1:2181/a//b' },
  { name: 'a dot-dot segment', value: 'zk://zk1:2181/a/../b' },
  { name: 'a port out of range', value: 'zk://zk1:99999/x' },
  { name: 'an empty server', value: 'zk://zk1:2181,/x' },
  { name: 'credentials without a password', value: 'zk://secretuser@zk1/x' },
];

for (const c of bad) {
  test(`parseZkUrl refuses ${c.name}`, () => {
    assert.throws(() => parseZkUrl(c.value));
  });
}

test('the error for bad credentials never contains the password', () => {
  assert.throws(
    () => parseZkUrl('zk://u:topsecret@bad host/x'),
    (err: Error) => !err.message.includes('topsecret'),
  );
});

test('describeZk shows servers and path, never credentials', () => {
  const s = describeZk(parseZkUrl('zk://u:topsecret@zk1,[::1]:2182/m'));
  assert.equal(s, 'zk://zk1:2181,[::1]:2182/m');
});
