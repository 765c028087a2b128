/** src/acme/client.ts without a CA (exchanges with a CA run in test/integration/acme/). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/lib/logger.js';
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

/** A loopback HTTP server recording the Authorization header of each request. */
async function recorder(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; seen: Array<{ path: string; auth: string | undefined }>; close(): Promise<void> }> {
  const seen: Array<{ path: string; auth: string | undefined }> = [];
  const srv = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

describe('userinfo in the directory URL', () => {
  it('is Basic authorization to the directory origin only, and never shown', async () => {
    const other = await recorder((_req, res) => res.writeHead(500, { 'replay-nonce': 'abc' }).end());
    const ca = await recorder((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          newNonce: `${other.url}/nonce`,
          newAccount: `${other.url}/account`,
          newOrder: `${other.url}/order`,
          revokeCert: `${other.url}/revoke`,
          keyChange: `${other.url}/key-change`,
        }),
      ),
    );
    let out = '';
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: new Writable({
        write(chunk, _e, cb) {
          out += String(chunk);
          cb();
        },
      }),
    });
    const client = new AcmeClient({
      directoryUrl: `${ca.url.replace('http://', 'http://ca-user:ca-pass@')}/directory`,
      accountKey: { read: async () => null, write: async () => {} },
      logger,
    });
    try {
      assert.equal(client.directoryUrl, `${ca.url}/directory`, 'shown without userinfo');
      await client.accountUrl(AbortSignal.timeout(5000)).catch(() => undefined);
      const basic = `Basic ${Buffer.from('ca-user:ca-pass').toString('base64')}`;
      assert.deepEqual(ca.seen, [{ path: '/directory', auth: basic }]);
      assert.ok(other.seen.length >= 1, 'the other origin was asked');
      for (const r of other.seen) assert.equal(r.auth, undefined, `${r.path}: no credentials to another origin`);
      assert.equal(client.status().directoryUrl, `${ca.url}/directory`);
      assert.doesNotMatch(out, /ca-pass|ca-user/);
    } finally {
      client.close();
      await ca.close();
      await other.close();
    }
  });
});
