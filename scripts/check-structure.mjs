#!/usr/bin/env node
// The house rules that a linter cannot see, checked on every `npm test`:
//   - no file under src/ is over MAX_FILE_LINES lines;
//   - no function (declaration, method, arrow or expression with a body) is over MAX_FUNCTION_LINES lines;
//   - src/lib/ imports nothing of the project outside src/lib/ (it is the ground floor);
//   - the rooms' imports point one way (RULES below) and src/ has no import cycles.
// Usage: node scripts/check-structure.mjs   (exit 1 with one line per violation)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 60;
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SRC = join(ROOT, 'src');

/**
 * Which rooms each room may import (besides itself and lib/); '*' = any room. Absent rooms may import
 * anything but main.ts (the entry point). Keep in step with docs/architecture.md.
 */
const RULES = {
  lib: [],
  domain: [],
  pki: [],
  observe: [],
  sources: ['domain', 'observe'],
  solvers: ['domain'],
  acme: ['domain', 'pki', 'observe'],
  store: ['domain', 'pki'],
  notify: ['domain', 'observe'],
  reconciler: ['domain', 'observe'],
  events: ['domain', 'observe'],
  http: ['domain'],
  config: ['domain'],
  // high availability: the ZooKeeper port and client, election, lease, the shared challenge store
  cluster: ['domain'],
  cli: ['domain', 'config'],
  // the agent process (marathon-acme agent): reuses the store's durable writes and the notifiers
  agent: ['domain', 'store', 'notify', 'pki', 'config', 'cli'],
  // the composition root: builds every implementation, so it may import every room
  app: '*',
};

function walk(dir, out = []) {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const files = walk(SRC);
const problems = [];
const graph = new Map();

function roomOf(file) {
  const rel = relative(SRC, file);
  return rel.includes('/') ? rel.split('/')[0] : rel.replace(/\.ts$/, '');
}

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const rel = relative(ROOT, file);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE_LINES) problems.push(`${rel}: ${lines} lines (max ${MAX_FILE_LINES})`);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const deps = new Set();
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const spec = node.moduleSpecifier.text;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        deps.add(target);
        // Type-only imports still count for direction, not for cycles (they vanish at run time).
        const typeOnly = ts.isImportDeclaration(node) && node.importClause?.isTypeOnly;
        if (!typeOnly) graph.get(file)?.add(target);
      }
    }
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isGetAccessor(node) ||
        ts.isSetAccessor(node)) &&
      node.body
    ) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const n = end - start + 1;
      if (n > MAX_FUNCTION_LINES) {
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
        problems.push(`${rel}:${start + 1}: function ${name} is ${n} lines (max ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  graph.set(file, new Set());
  visit(sf);
  const room = roomOf(file);
  for (const dep of deps) {
    const depRoom = roomOf(dep);
    if (depRoom === room || depRoom === 'lib' || depRoom === 'version') continue;
    if (depRoom === 'main') {
      problems.push(`${rel}: imports main.ts, the entry point`);
      continue;
    }
    const allowed = RULES[room];
    if (allowed && allowed !== '*' && !allowed.includes(depRoom)) {
      problems.push(`${rel}: ${room}/ must not import ${depRoom}/ (${relative(ROOT, dep)})`);
    }
  }
}

// Cycles among run-time imports (Tarjan's strongly connected components).
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index += 1;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) problems.push(`import cycle: ${comp.map((f) => relative(ROOT, f)).join(' -> ')}`);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

if (problems.length > 0) {
  for (const p of problems) console.error(`structure: ${p}`);
  console.error(`structure: ${problems.length} violation(s)`);
  process.exit(1);
}
console.log(`structure: ${files.length} files under src/ follow the house rules`);
