import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, isErrorCode } from '../../../src/lib/error-codes.js';

test('every error code is SCREAMING_SNAKE with a non-empty meaning', async (t) => {
  for (const [code, meaning] of Object.entries(ERROR_CODES)) {
    await t.test(code, () => {
      assert.match(code, /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
      assert.equal(typeof meaning, 'string');
      assert.ok(meaning.trim().length > 0, 'a meaning');
      assert.equal(isErrorCode(code), true);
    });
  }
});

test('isErrorCode knows only the catalogue', async (t) => {
  const cases = ['', 'pem_invalid', 'NOT_A_CODE', 'toString', '__proto__'];
  for (const c of cases) await t.test(JSON.stringify(c), () => assert.equal(isErrorCode(c), false));
});
