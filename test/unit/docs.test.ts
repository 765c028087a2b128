/** The documentation must not drift from the code: every flag and every metric is documented. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIONS, envName } from '../../src/cli/index.js';
import { createMetrics } from '../../src/observe/metrics.js';

test('docs/configuration.md documents every flag and its environment variable', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  for (const o of OPTIONS) {
    assert.ok(doc.includes(`\`--${o.name}\``), `--${o.name} is documented`);
    if (o.name !== 'help' && o.name !== 'version')
      assert.ok(doc.includes(envName(o.name)), `${envName(o.name)} is documented`);
  }
});

test('docs/operations.md documents every metric', async () => {
  const doc = readFileSync('docs/operations.md', 'utf8');
  const metrics = createMetrics({ defaultMetrics: false });
  const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.length > 5);
  for (const name of names)
    assert.ok(doc.includes(`\`${name.replace(/^marathon_acme_/, '')}\``), `${name} is documented`);
});

test('no file of the project holds a leftover merge conflict marker', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'dist', '.git'].includes(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|md|mjs|sh|json|yml|html)$/.test(e.name)) files.push(p);
    }
  };
  for (const d of ['src', 'test', 'docs', 'bench', 'scripts', 'demo']) walk(d);
  files.push('README.md');
  const marked = files.filter((f) => /^(<{7}|>{7}) |^={7}$/m.test(readFileSync(f, 'utf8')));
  assert.deepEqual(marked, []);
});
