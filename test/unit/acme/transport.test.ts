/** src/acme/transport.ts: Link headers, the https rule, the User-Agent. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLinks, Transport, USER_AGENT } from '../../../src/acme/transport.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { VERSION } from '../../../src/version.js';

describe('Link headers (RFC 8288)', () => {
  it('finds alternate chains among other links', () => {
    const links = parseLinks([
      '<https://ca/dir>;rel="index", <https://ca/cert/1/1>;rel="alternate"',
      '<https://ca/cert/1/2>; rel=alternate',
    ]);
    assert.deepEqual(
      links.filter((l) => l.rel === 'alternate').map((l) => l.url),
      ['https://ca/cert/1/1', 'https://ca/cert/1/2'],
    );
  });
  it('finds none without a Link header', () => {
    assert.deepEqual(parseLinks(undefined), []);
  });
});

describe('transport', () => {
  it('refuses plain http to a non-loopback host (RFC 8555 §6.1), before any connection', async () => {
    const t = new Transport({ logger: silentLogger() });
    await assert.rejects(
      t.request({ method: 'GET', url: 'http://acme.example/dir', operation: 'directory' }),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_INSECURE_URL',
    );
    t.close();
  });
});

describe('User-Agent', () => {
  it('is marathon-acme/<version>', () => {
    assert.equal(USER_AGENT, `marathon-acme/${VERSION}`);
  });
});
