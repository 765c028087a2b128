#!/usr/bin/env node
// Runs the compiled test files with node's test runner. `node scripts/run-tests.mjs [unit|integration|e2e]...`
// Node 20's `--test` does not expand globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const wanted = process.argv.slice(2);
const groups = wanted.length > 0 ? wanted : ['unit', 'integration', 'e2e'];
const files = [];
function walk(dir) {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p);
    else if (entry.endsWith('.test.js')) files.push(p);
  }
}
for (const g of groups) {
  try {
    walk(join(root, g));
  } catch {
    /* group absent */
  }
}
if (files.length === 0) {
  console.error('no test files found under', groups.map((g) => join(root, g)).join(', '));
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const res = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
