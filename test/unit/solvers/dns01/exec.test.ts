import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEnv, execArgs } from '../../../../src/solvers/dns01/exec.js';

const REC = {
  fqdn: '_acme-challenge.a.example.com',
  zone: 'example.com',
  value: 'VALUE',
  domain: 'a.example.com',
  token: 'TOKEN',
  keyAuthorization: 'TOKEN.THUMB',
};

test("lego's default form: <action> <fqdn with its dot> <value>", () => {
  assert.deepEqual(execArgs('present', REC, false), ['present', '_acme-challenge.a.example.com.', 'VALUE']);
  assert.deepEqual(execArgs('cleanup', REC, false), ['cleanup', '_acme-challenge.a.example.com.', 'VALUE']);
});

test("lego's RAW form: <action> -- <domain> <token> <key-authorization>", () => {
  assert.deepEqual(execArgs('present', REC, true), ['present', '--', 'a.example.com', 'TOKEN', 'TOKEN.THUMB']);
  assert.deepEqual(execArgs('cleanup', REC, true), ['cleanup', '--', 'a.example.com', 'TOKEN', 'TOKEN.THUMB']);
});

test("the program's environment carries none of the daemon's settings or secrets", () => {
  const env = cleanEnv({
    PATH: '/usr/bin',
    HOME: '/root',
    RFC2136_TSIG_SECRET: 's',
    MARATHON_ACME_EAB_HMAC_KEY: 'k',
    MARATHON_ACME_MARATHON_TOKEN: 't',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/root' });
});
