import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errnoOf, initFailure, notWritable } from '../../../src/store/errors.js';

const fsError = (code: string) => Object.assign(new Error(`${code}: x`), { code });

describe('initFailure says what to do, not only the errno', () => {
  const cases: Array<[string, RegExp[]]> = [
    ['EACCES', [/EACCES \(permission denied\) at \/s\/certs/, /uid \d+/, /MARATHON_ACME_USER/, /--storage-group/]],
    ['EPERM', [/EPERM/, /MARATHON_ACME_USER/]],
    ['EROFS', [/EROFS \(the file system is read-only\)/, /read-only mount/]],
    ['ENOSPC', [/ENOSPC \(the file system is full\)/, /free some space/]],
  ];
  for (const [errno, patterns] of cases)
    test(errno, () => {
      const err = initFailure(fsError(errno), '/s', '/s/certs');
      assert.equal(err.code, 'STORAGE_NOT_WRITABLE');
      assert.equal(err.details.errno, errno);
      for (const p of patterns) assert.match(err.message, p);
    });
});

test('notWritable names the errno, from the error itself', () => {
  assert.equal(
    notWritable(fsError('ENOSPC'), '/s').message,
    'the storage directory is not writable: ENOSPC (the file system is full)',
  );
  assert.equal(notWritable(new Error('odd'), '/s').message, 'the storage directory is not writable');
  assert.equal(errnoOf(fsError('EROFS')), 'EROFS');
  assert.equal(errnoOf({ code: 'STORAGE_NOT_WRITABLE' }), undefined);
});
