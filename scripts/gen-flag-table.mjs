#!/usr/bin/env node
// Regenerates the flag table of docs/configuration.md from the flag table in src/cli/flags.ts
// (run after `npm run build`). test/unit/docs.test.ts fails when a flag is missing from the docs.
import { readFileSync, writeFileSync } from 'node:fs';
import { OPTIONS, envName } from '../dist/src/cli/index.js';

const esc = (s) => s.replace(/\|/g, '\\|');
const rows = OPTIONS.filter((o) => o.name !== 'help' && o.name !== 'version').map(
  (o) =>
    `| ${o.short ? `\`-${o.short}\`, ` : ''}\`--${o.name}\`${o.metavar ? ` \`${esc(o.metavar)}\`` : ''} | \`${envName(o.name)}\` | ${o.default !== undefined ? `\`${o.default}\`` : '—'} | ${esc(o.help)} |`,
);
const path = 'docs/configuration.md';
const doc = readFileSync(path, 'utf8');
const head = '|---|---|---|---|\n';
const start = doc.indexOf(head) + head.length;
const end = doc.indexOf('| `-h`, `--help`');
writeFileSync(path, `${doc.slice(0, start) + rows.join('\n')}\n${doc.slice(end)}`);
console.log(`${rows.length} flags written to ${path}`);
