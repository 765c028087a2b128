import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envName, rawLookup, STORAGE_DIR_ENV, storageDirOf } from '../../../src/cli/env.js';

test('envName: --foo-bar is MARATHON_ACME_FOO_BAR', () => {
  assert.equal(envName('allow-multiple-certs'), 'MARATHON_ACME_ALLOW_MULTIPLE_CERTS');
  assert.equal(envName('acme'), 'MARATHON_ACME_ACME');
});

test('rawLookup: the command line wins over the environment', () => {
  const raw = rawLookup({ group: 'cli', san: true }, { MARATHON_ACME_GROUP: 'env', MARATHON_ACME_EMAIL: 'a@b.c' });
  assert.equal(raw('group'), 'cli');
  assert.equal(raw('email'), 'a@b.c');
  assert.equal(raw('san'), true);
  assert.equal(raw('lb'), undefined);
});

test('storageDirOf: the positional argument, else the environment', () => {
  assert.equal(storageDirOf(['/a'], { [STORAGE_DIR_ENV]: '/env' }), '/a');
  assert.equal(storageDirOf([], { [STORAGE_DIR_ENV]: '/env' }), '/env');
  assert.equal(storageDirOf([], {}), undefined);
});
