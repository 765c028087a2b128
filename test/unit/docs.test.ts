/** The documentation must not drift from the code: every flag and every metric is documented. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
