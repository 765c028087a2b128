import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTokenCommand } from '../../../src/cli/token-command.js';
import { authorize, parseTokensFile } from '../../../src/lib/tokens.js';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runTokenCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('token create prints a token and the line that authorizes it', async () => {
  const r = await run(['create', 'ops', 'read,write']);
  assert.equal(r.code, 0);
  const [token, line, rest] = r.out.split('\n');
  assert.equal(rest, '');
  assert.match(line!, /^ops read,write [0-9a-f]{64}$/);
  const entries = parseTokensFile(line!, 'tokens');
  assert.deepEqual(authorize(entries, `Bearer ${token}`, 'write'), { ok: true, name: 'ops' });
  assert.match(r.err, /--api-tokens-file/);
});

const bad: { name: string; argv: string[]; error: RegExp }[] = [
  { name: 'no arguments', argv: [], error: /expected 'create NAME SCOPES'/ },
  { name: 'an unknown verb', argv: ['delete', 'ops', 'read'], error: /expected/ },
  { name: 'an unknown scope', argv: ['create', 'ops', 'read,root'], error: /unknown scope 'root'/ },
  { name: 'a bad name', argv: ['create', 'a b', 'read'], error: /error/ },
];
for (const c of bad)
  test(`token ${c.name} is a usage error (exit 2), printing no token`, async () => {
    const r = await run(c.argv);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, c.error);
  });
