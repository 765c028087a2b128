import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  authorize,
  createToken,
  grants,
  hashToken,
  NO_TOKENS_MESSAGE,
  parseTokensFile,
  type Scope,
} from '../../../src/lib/tokens.js';

const READER = 'reader-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const WRITER = 'writer-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ADMIN = 'admin-token-ccccccccccccccccccccccccccccccccc';
const SYNCER = 'sync-token-ddddddddddddddddddddddddddddddddd';
const FILE = [
  '# operators',
  `alice read ${hashToken(READER)}`,
  '',
  `bob write ${hashToken(WRITER)}`,
  `carol admin ${hashToken(ADMIN).toUpperCase()}`,
  `agents sync ${hashToken(SYNCER)}`,
].join('\n');
const entries = parseTokensFile(FILE, 'tokens');

describe('parseTokensFile', () => {
  const bad: { name: string; text: string; error: RegExp }[] = [
    { name: 'two fields', text: `alice ${hashToken('x')}`, error: /tokens:1: expected/ },
    { name: 'unknown scope', text: `alice read,root ${hashToken('x')}`, error: /tokens:1: unknown scope 'root'/ },
    { name: 'not a sha256', text: 'alice read abc', error: /tokens:1: the third field must be/ },
    { name: 'a bad name', text: `-x read ${hashToken('x')}`, error: /tokens:1: token name/ },
    {
      name: 'a name twice',
      text: `a read ${hashToken('x')}\na write ${hashToken('y')}`,
      error: /tokens:2: token name 'a' appears twice/,
    },
  ];
  for (const c of bad)
    test(`rejects ${c.name}, naming the line`, () => {
      assert.throws(
        () => parseTokensFile(c.text, 'tokens'),
        (err: Error & { code?: string }) => {
          assert.match(err.message, c.error);
          assert.equal(err.code, 'CONFIG_INVALID');
          return true;
        },
      );
    });
  test('reads names, scopes and hashes; skips comments and blank lines', () => {
    assert.deepEqual(
      entries.map((e) => [e.name, e.scopes]),
      [
        ['alice', ['read']],
        ['bob', ['write']],
        ['carol', ['admin']],
        ['agents', ['sync']],
      ],
    );
  });
  test('an empty file has no tokens', () => assert.deepEqual(parseTokensFile('\n# none\n', 'f'), []));
});

describe('grants', () => {
  const cases: { name: string; scopes: Scope[]; needed: Scope; want: boolean }[] = [
    { name: 'read grants read', scopes: ['read'], needed: 'read', want: true },
    { name: 'read does not grant write', scopes: ['read'], needed: 'write', want: false },
    { name: 'write grants read', scopes: ['write'], needed: 'read', want: true },
    { name: 'write does not grant admin', scopes: ['write'], needed: 'admin', want: false },
    { name: 'admin grants write', scopes: ['admin'], needed: 'write', want: true },
    { name: 'admin grants read', scopes: ['admin'], needed: 'read', want: true },
    { name: 'admin does not grant sync', scopes: ['admin'], needed: 'sync', want: false },
    { name: 'sync does not grant read', scopes: ['sync'], needed: 'read', want: false },
    { name: 'listed sync grants sync', scopes: ['read', 'sync'], needed: 'sync', want: true },
  ];
  for (const c of cases) test(c.name, () => assert.equal(grants(c.scopes, c.needed), c.want));
});

describe('authorize', () => {
  const cases: {
    name: string;
    header: string | undefined;
    needed: Scope;
    want: { ok: true; name: string } | { ok: false; status: number };
    list?: typeof entries;
  }[] = [
    {
      name: 'no tokens configured ⇒ 403',
      header: `Bearer ${ADMIN}`,
      needed: 'write',
      list: [],
      want: { ok: false, status: 403 },
    },
    { name: 'no header ⇒ 401', header: undefined, needed: 'read', want: { ok: false, status: 401 } },
    { name: 'not a bearer header ⇒ 401', header: `Basic ${READER}`, needed: 'read', want: { ok: false, status: 401 } },
    { name: 'unknown token ⇒ 401', header: 'Bearer nope', needed: 'read', want: { ok: false, status: 401 } },
    { name: 'wrong scope ⇒ 403', header: `Bearer ${READER}`, needed: 'write', want: { ok: false, status: 403 } },
    { name: 'right scope', header: `Bearer ${WRITER}`, needed: 'write', want: { ok: true, name: 'bob' } },
    {
      name: 'upper-case hex in the file',
      header: `Bearer ${ADMIN}`,
      needed: 'admin',
      want: { ok: true, name: 'carol' },
    },
    { name: 'case-insensitive scheme', header: `bearer ${SYNCER}`, needed: 'sync', want: { ok: true, name: 'agents' } },
  ];
  for (const c of cases)
    test(c.name, () => {
      const r = authorize(c.list ?? entries, c.header, c.needed);
      if (c.want.ok) assert.deepEqual(r, c.want);
      else {
        assert.equal(r.ok, false);
        assert.equal(!r.ok && r.status, c.want.status);
      }
      assert.doesNotMatch(JSON.stringify(r), new RegExp(`${READER}|${WRITER}|${ADMIN}|${SYNCER}`));
    });
  test('the 403 without tokens says how to configure them', () => {
    const r = authorize([], undefined, 'write');
    assert.equal(!r.ok && r.message, NO_TOKENS_MESSAGE);
    assert.match(NO_TOKENS_MESSAGE, /token create/);
  });
});

test('createToken makes distinct 43-character base64url tokens', () => {
  const a = createToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, createToken());
});
