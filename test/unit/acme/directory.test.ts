/** src/acme/directory.ts: reading the CA's directory (RFC 8555 §7.1.1). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDirectory } from '../../../src/acme/directory.js';
import { AppError } from '../../../src/lib/errors.js';

describe('directory (RFC 8555 §7.1.1)', () => {
  const base = { newNonce: 'n', newAccount: 'a', newOrder: 'o', revokeCert: 'r', keyChange: 'k' };
  it('reads meta, profiles and ARI support, and keeps only what the client uses', () => {
    const d = parseDirectory(
      {
        ...base,
        newAuthz: 'na',
        renewalInfo: 'ri',
        meta: {
          termsOfService: 'tos',
          website: 'w',
          profiles: { classic: 'default', shortlived: '6 days' },
          externalAccountRequired: true,
          caaIdentities: ['x'],
        },
      },
      'u',
    );
    assert.equal(d.renewalInfo, 'ri');
    assert.equal('newAuthz' in d, false);
    assert.deepEqual(d.meta, {
      termsOfService: 'tos',
      profiles: { classic: 'default', shortlived: '6 days' },
      externalAccountRequired: true,
      renewalInfo: true,
    });
  });
  it('treats an absent meta as no profiles, no EAB, no ARI', () => {
    const d = parseDirectory(base, 'u');
    assert.deepEqual(d.meta, { profiles: {}, externalAccountRequired: false, renewalInfo: false });
  });
  it('rejects a directory without a required URL', () => {
    assert.throws(
      () => parseDirectory({ ...base, newOrder: undefined }, 'u'),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_RESPONSE',
    );
  });
});
