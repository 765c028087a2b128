import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey } from '../../../src/pki/keys.js';
import { ensureNewline, splitPemBlocks } from '../../../src/pki/pem.js';

test('splitPemBlocks keeps blocks, normalised, and ignores text between them', async () => {
  const { keyPem } = await generateKey('ec256');
  const blocks = splitPemBlocks(`subject=foo\n${keyPem}\nBag Attributes\n${keyPem.replace(/\n/g, '\r\n')}`);
  assert.equal(blocks.length, 2);
  assert.equal(blocks[0]!.label, 'PRIVATE KEY');
  assert.equal(blocks[0]!.pem, keyPem);
  assert.equal(blocks[1]!.pem, keyPem, 'CRLF becomes LF');
  assert.deepEqual(splitPemBlocks(''), []);
  assert.deepEqual(splitPemBlocks('no PEM here\n'), []);
});

test('splitPemBlocks rejects what a truncated or corrupted file looks like (PEM_INVALID)', async (t) => {
  const { keyPem } = await generateKey('ec256');
  const cases: Array<{ name: string; text: string }> = [
    { name: 'truncated before END', text: keyPem.slice(0, keyPem.length - 20) },
    { name: 'END with another label', text: keyPem.replace('-----END PRIVATE KEY-----', '-----END CERTIFICATE-----') },
    { name: 'body not base64', text: keyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!') },
    { name: 'END without BEGIN', text: '-----END PRIVATE KEY-----\n' },
    { name: 'BEGIN inside a block', text: keyPem.replace('-----END PRIVATE KEY-----\n', '') + keyPem },
    { name: 'empty body', text: '-----BEGIN X-----\n-----END X-----\n' },
    { name: 'body of a wrong length', text: '-----BEGIN X-----\nAAA\n-----END X-----\n' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.throws(() => splitPemBlocks(c.text), { code: 'PEM_INVALID' }));
  }
});

test('ensureNewline adds one newline only when missing', () => {
  assert.equal(ensureNewline('a'), 'a\n');
  assert.equal(ensureNewline('a\n'), 'a\n');
});
