import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helpText } from '../../../src/cli/help.js';
import { OPTIONS } from '../../../src/cli/flags.js';
import { envName } from '../../../src/cli/env.js';

test('--help documents every flag, its default and its environment variable', () => {
  const help = helpText();
  assert.ok(help.startsWith('usage: marathon-acme [options] storage-dir\n'));
  assert.ok(help.includes('storage-dir'));
  for (const o of OPTIONS) assert.ok(help.includes(`--${o.name}`), `help documents --${o.name}`);
  assert.ok(help.includes('(default: https://acme-v02.api.letsencrypt.org/directory) [MARATHON_ACME_ACME]'));
  assert.ok(!help.includes(envName('help')), 'no environment variable for --help');
});
