import { test } from 'node:test';
import { existsSync } from 'node:fs';
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

test('every docs/ file --help points at exists, and the commands are listed', () => {
  const text = helpText();
  const paths = [...text.matchAll(/docs\/[\w./-]+\.md/g)].map((m) => m[0]);
  assert.ok(paths.length > 0);
  for (const p of paths) assert.ok(existsSync(p), `${p} exists`);
  assert.match(text, /token create NAME SCOPES/);
});
