/** src/acme/account-key.ts: the formats `client.key` may hold, and what is refused. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parseAccountKey } from '../../../src/acme/account-key.js';
import { AppError } from '../../../src/lib/errors.js';

describe('account keys', () => {
  it('loads a PKCS#1 RSA key as the Python marathon-acme wrote it', () => {
    const pem = execFileSync('openssl', ['genrsa', '-traditional', '2048'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.match(pem, /BEGIN RSA PRIVATE KEY/);
    assert.equal(parseAccountKey(pem).asymmetricKeyType, 'rsa');
  });

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  for (const type of ['pkcs8', 'sec1'] as const) {
    it(`loads a ${type} EC key`, () => {
      assert.equal(parseAccountKey(ec.export({ format: 'pem', type }).toString()).asymmetricKeyType, 'ec');
    });
  }

  const refused = [
    { name: 'garbage', pem: () => 'garbage' },
    {
      name: 'an RSA key under 2048 bits',
      pem: () =>
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .privateKey.export({ format: 'pem', type: 'pkcs1' })
          .toString(),
    },
  ];
  for (const c of refused) {
    it(`rejects ${c.name} with ACME_ACCOUNT_KEY`, () => {
      assert.throws(
        () => parseAccountKey(c.pem()),
        (e: unknown) => e instanceof AppError && e.code === 'ACME_ACCOUNT_KEY',
      );
    });
  }
});
