import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CERT_NAME_LENGTH, sameNames } from '../../../src/domain/name-rules.js';

test('sameNames is set equality, both ways', () => {
  assert.equal(sameNames(['a', 'b'], ['B', 'a']), true);
  assert.equal(sameNames(['x', 'y'], ['x', 'x']), false);
  assert.equal(sameNames(['a'], ['a', 'b']), false);
  assert.equal(MAX_CERT_NAME_LENGTH, 251);
});
