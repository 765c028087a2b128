import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parseAccountKey, parseDirectory, parseLinks, parseRenewalInfo, USER_AGENT } from '../../../src/acme/index.js';
import { nextDelay } from '../../../src/acme/poll.js';
import { orderError } from '../../../src/acme/issuer.js';
import { AcmeClient, checkAuthorization, checkChallenge, checkOrder } from '../../../src/acme/client.js';
import { Transport } from '../../../src/acme/transport.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { AppError } from '../../../src/lib/errors.js';
import { VERSION } from '../../../src/version.js';

describe('account keys', () => {
  it('loads a PKCS#1 RSA key as the Python marathon-acme wrote it', () => {
    const pem = execFileSync('openssl', ['genrsa', '-traditional', '2048'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.match(pem, /BEGIN RSA PRIVATE KEY/);
    assert.equal(parseAccountKey(pem).asymmetricKeyType, 'rsa');
  });

  it('loads PKCS#8 EC and SEC1 EC keys', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.equal(
      parseAccountKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()).asymmetricKeyType,
      'ec',
    );
    assert.equal(
      parseAccountKey(privateKey.export({ format: 'pem', type: 'sec1' }).toString()).asymmetricKeyType,
      'ec',
    );
  });

  it('rejects garbage and too-small RSA keys with ACME_ACCOUNT_KEY', () => {
    const isKeyError = (e: unknown): boolean => e instanceof AppError && e.code === 'ACME_ACCOUNT_KEY';
    assert.throws(() => parseAccountKey('garbage'), isKeyError);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs1' })
      .toString();
    assert.throws(() => parseAccountKey(small), isKeyError);
  });
});

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
    assert.deepEqual(parseLinks(undefined), []);
  });
});

describe('renewalInfo responses (RFC 9773 §4.2)', () => {
  const header = (v?: string) => ({ header: (n: string) => (n === 'retry-after' ? v : undefined) });
  it('returns the window, explanationURL and Retry-After', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const info = parseRenewalInfo(
      {
        suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-02T00:00:00Z' },
        explanationURL: 'https://ca/why',
      },
      header('21600'),
      'u',
      now,
    );
    assert.equal(info.start.toISOString(), '2026-02-01T00:00:00.000Z');
    assert.equal(info.end.toISOString(), '2026-02-02T00:00:00.000Z');
    assert.equal(info.explanationUrl, 'https://ca/why');
    assert.equal(info.retryAfterMs, 21_600_000);
  });
  it('rejects a window that does not end after it starts (RFC 9773 §4.2), and a missing window', () => {
    const isBad = (e: unknown): boolean => e instanceof AppError && e.code === 'ACME_BAD_RESPONSE';
    assert.throws(
      () =>
        parseRenewalInfo(
          { suggestedWindow: { start: '2026-02-02T00:00:00Z', end: '2026-02-01T00:00:00Z' } },
          header(),
          'u',
        ),
      isBad,
    );
    assert.throws(
      () =>
        parseRenewalInfo(
          { suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-01T00:00:00Z' } },
          header(),
          'u',
        ),
      isBad,
    );
    assert.throws(() => parseRenewalInfo({}, header(), 'u'), isBad);
  });
});

describe('polling delays', () => {
  it('starts short and grows to the ceiling without Retry-After', () => {
    const o = { initialMs: 20, maxMs: 1000 };
    assert.equal(nextDelay(0, undefined, o), 20);
    assert.equal(nextDelay(1, undefined, o), 30);
    assert.equal(nextDelay(20, undefined, o), 1000);
  });
  it('honours a Retry-After longer than the backoff step', () => {
    const now = 1_000_000;
    assert.equal(nextDelay(0, new Date(now + 3000), { initialMs: 20, maxMs: 1000 }, now), 3000);
  });
  it('keeps growing when Retry-After is 0 or in the past (a minimum, not a replacement)', () => {
    const now = 1_000_000;
    const o = { initialMs: 20, maxMs: 1000 };
    for (const retryAfter of [new Date(now), new Date(now - 3000), new Date(now + 5)]) {
      const delays = [0, 1, 2, 3, 20].map((step) => nextDelay(step, retryAfter, o, now));
      assert.deepEqual(delays, [20, 30, 45, 67.5, 1000], `Retry-After ${retryAfter.getTime() - now} ms`);
    }
  });
  it('uses the growing step when it exceeds a short Retry-After', () => {
    const now = 1_000_000;
    assert.equal(
      nextDelay(10, new Date(now + 100), { initialMs: 20, maxMs: 1000 }, now),
      Math.min(1000, 20 * 1.5 ** 10),
    );
  });
});

describe('shape checks of CA objects', () => {
  const isBad =
    (field: string) =>
    (e: unknown): boolean =>
      e instanceof AppError &&
      e.code === 'ACME_BAD_RESPONSE' &&
      (e.details as { field?: string } | undefined)?.field === field;
  const order = {
    status: 'pending',
    identifiers: [{ type: 'dns', value: 'a.example' }],
    authorizations: ['https://ca/authz/1'],
    finalize: 'https://ca/finalize/1',
  };
  it('accepts a well-formed order and keeps unknown members', () => {
    const o = checkOrder({ ...order, profile: 'classic', extra: 1 }, 'u');
    assert.equal(o.status, 'pending');
    assert.equal(o.profile, 'classic');
  });
  it('rejects orders without status, authorization URLs or finalize URL', () => {
    assert.throws(() => checkOrder('nope', 'u'), isBad('not an object'));
    assert.throws(() => checkOrder([order], 'u'), isBad('not an object'));
    assert.throws(() => checkOrder({ ...order, status: 3 }, 'u'), isBad('status'));
    assert.throws(() => checkOrder({ ...order, authorizations: 'https://ca/authz/1' }, 'u'), isBad('authorizations'));
    assert.throws(() => checkOrder({ ...order, authorizations: [{ url: 'x' }] }, 'u'), isBad('authorizations'));
    assert.throws(() => checkOrder({ ...order, finalize: undefined }, 'u'), isBad('finalize'));
    assert.throws(() => checkOrder({ ...order, status: 'valid', certificate: 7 }, 'u'), isBad('certificate'));
  });
  const authz = {
    status: 'pending',
    identifier: { type: 'dns', value: 'a.example' },
    challenges: [{ type: 'http-01', url: 'https://ca/chall/1', status: 'pending', token: 't' }],
  };
  it('accepts a well-formed authorization and rejects broken ones', () => {
    assert.equal(checkAuthorization(authz, 'u').identifier.value, 'a.example');
    assert.throws(() => checkAuthorization({ ...authz, status: null }, 'u'), isBad('status'));
    assert.throws(() => checkAuthorization({ ...authz, identifier: 'a.example' }, 'u'), isBad('identifier'));
    assert.throws(() => checkAuthorization({ ...authz, challenges: {} }, 'u'), isBad('challenges'));
    assert.throws(
      () => checkAuthorization({ ...authz, challenges: [{ type: 'http-01', status: 'pending' }] }, 'u'),
      isBad('challenge url'),
    );
    assert.throws(
      () => checkAuthorization({ ...authz, challenges: [{ ...authz.challenges[0], token: 5 }] }, 'u'),
      isBad('challenge token'),
    );
  });
  it('checks a challenge answer', () => {
    assert.equal(checkChallenge(authz.challenges[0], 'u').type, 'http-01');
    assert.throws(() => checkChallenge({ type: 'http-01', url: 'x' }, 'u'), isBad('challenge status'));
  });
});

describe('orders that end unusable', () => {
  const order = { identifiers: [], authorizations: [], finalize: 'f' };
  it("carries the CA's error problem when the order has one", () => {
    const e = orderError(
      {
        ...order,
        status: 'invalid',
        error: { type: 'urn:ietf:params:acme:error:caa', detail: 'CAA forbids', status: 403 },
      },
      'https://ca/order/1',
    );
    assert.equal(e.code, 'ACME_ORDER_INVALID');
    assert.equal(e.type, 'caa');
    assert.equal(e.detail, 'CAA forbids');
    assert.equal(e.status, 403);
  });
  it('invents no ACME problem type when the CA gave no error', () => {
    const e = orderError({ ...order, status: 'invalid' }, 'https://ca/order/1');
    assert.equal(e.code, 'ACME_ORDER_INVALID');
    assert.equal(e.type, 'unknown');
    assert.match(e.detail, /order is invalid/);
    assert.match(orderError({ ...order, status: 'valid' }, 'u').detail, /no certificate URL/);
  });
});

describe('revocation with the certificate key', () => {
  it('reports an unusable certificate key as ACME_BAD_CERTIFICATE, before any request', async () => {
    const client = new AcmeClient({
      directoryUrl: 'https://127.0.0.1:1/dir',
      accountKey: { read: async () => null, write: async () => {} },
      logger: silentLogger(),
    });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    for (const pem of ['garbage', small]) {
      await assert.rejects(
        client.revoke(Buffer.from([0x30, 0]), 0, AbortSignal.timeout(5000), pem),
        (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_CERTIFICATE',
      );
    }
    assert.equal(client.status().lastError, undefined, 'no request was made');
    client.close();
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
