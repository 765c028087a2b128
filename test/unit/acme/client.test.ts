/** src/acme/client.ts without a CA (exchanges with a CA run in test/integration/acme/). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AcmeClient } from '../../../src/acme/client.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';

describe('revocation with the certificate key', () => {
  const keys = [
    { name: 'garbage', pem: () => 'garbage' },
    {
      name: 'an RSA key under 2048 bits',
      pem: () =>
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
    },
  ];
  for (const c of keys) {
    it(`reports ${c.name} as ACME_BAD_CERTIFICATE, before any request`, async () => {
      const client = new AcmeClient({
        directoryUrl: 'https://127.0.0.1:1/dir',
        accountKey: { read: async () => null, write: async () => {} },
        logger: silentLogger(),
      });
      await assert.rejects(
        client.revoke(Buffer.from([0x30, 0]), 0, AbortSignal.timeout(5000), c.pem()),
        (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_CERTIFICATE',
      );
      assert.equal(client.status().lastError, undefined, 'no request was made');
      client.close();
    });
  }
});
