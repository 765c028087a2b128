import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/lib/errors.js';
import { MAX_CERT_NAME_LENGTH } from '../../../src/domain/name-rules.js';
import { assertSafeName, fileStem, fitFileName, MAX_PEM_STEM_BYTES, nameOfStem } from '../../../src/lib/file-names.js';

test('the file-name limit is the domain name rule: every valid certificate name is a safe stem', () => {
  assert.equal(MAX_PEM_STEM_BYTES, 251);
  assert.equal(MAX_PEM_STEM_BYTES, MAX_CERT_NAME_LENGTH);
});

test('assertSafeName accepts safe stems', async (t) => {
  const cases = [
    { name: 'a DNS name', value: 'a.example.com' },
    { name: 'the longest', value: 'x'.repeat(251) },
  ];
  for (const c of cases) await t.test(c.name, () => assert.doesNotThrow(() => assertSafeName(c.value)));
});

test('assertSafeName rejects what could escape certs/ or hide a file (INVALID_NAME)', async (t) => {
  const cases: Array<{ name: string; value: unknown; reason: string }> = [
    { name: 'not a string', value: 42, reason: 'empty' },
    { name: 'empty', value: '', reason: 'empty' },
    { name: 'one byte too long', value: 'x'.repeat(252), reason: 'too long' },
    { name: 'too long in bytes, not characters', value: 'é'.repeat(126), reason: 'too long' },
    { name: 'dot-dot', value: '..', reason: 'starts with a dot' },
    { name: 'hidden', value: '.a.example', reason: 'starts with a dot' },
    { name: 'slash', value: 'a/b', reason: 'contains a path separator' },
    { name: 'backslash', value: 'a\\b', reason: 'contains a path separator' },
    { name: 'NUL', value: 'a\u0000b', reason: 'contains a control character' },
    { name: 'DEL', value: 'a\u007fb', reason: 'contains a control character' },
  ];
  for (const c of cases) {
    await t.test(c.name, () =>
      assert.throws(
        () => assertSafeName(c.value),
        (err: unknown) => err instanceof AppError && err.code === 'INVALID_NAME' && err.details.reason === c.reason,
      ),
    );
  }
});

test('fitFileName keeps short names and shortens long ones uniquely within 255 bytes', async (t) => {
  await t.test('short: unchanged', () => assert.equal(fitFileName('a.example', '.json'), 'a.example.json'));
  const long = 'x'.repeat(251);
  const other = `${'x'.repeat(250)}y`;
  const cases = [
    { name: '.json suffix', suffix: '.json' },
    { name: 'timestamp suffix', suffix: '.20300102T030405Z-1.pem' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const a = fitFileName(long, c.suffix);
      assert.ok(Buffer.byteLength(a) <= 255, `${Buffer.byteLength(a)} bytes`);
      assert.ok(a.endsWith(c.suffix));
      assert.notEqual(a, fitFileName(other, c.suffix), 'two stems never share a shortened name');
      assert.equal(a, fitFileName(long, c.suffix), 'deterministic');
    });
  }
  await t.test('multi-byte stems are cut on a character', () => {
    const a = fitFileName('é'.repeat(200), '.json');
    assert.ok(Buffer.byteLength(a) <= 255);
    assert.ok(!a.includes('\ufffd'));
  });
});

test('wildcard file stems: *.<base> is written _.<base>, and read back', () => {
  const cases: Array<[string, string]> = [
    ['*.apps.example.com', '_.apps.example.com'],
    ['apps.example.com', 'apps.example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ];
  for (const [name, stem] of cases) {
    assert.equal(fileStem(name), stem);
    assert.equal(nameOfStem(stem), name);
  }
});
