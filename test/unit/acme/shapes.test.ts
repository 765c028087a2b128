/** src/acme/shapes.ts: reading the CA's answers and the shape checks of its objects. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAuthorization,
  checkChallenge,
  checkOrder,
  fetched,
  location,
  parseJson,
} from '../../../src/acme/shapes.js';
import type { HttpResponse } from '../../../src/acme/transport.js';
import { AppError } from '../../../src/lib/errors.js';

const isBad =
  (field?: string) =>
  (e: unknown): boolean =>
    e instanceof AppError &&
    e.code === 'ACME_BAD_RESPONSE' &&
    (field === undefined || (e.details as { field?: string } | undefined)?.field === field);

/** A response with these headers and body; only what the readers use. */
function response(body: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status: 200,
    body: Buffer.from(body),
    header: (n: string) => headers[n],
    links: () => [],
  } as unknown as HttpResponse;
}

describe('responses', () => {
  it('reads an absolute Location', () => {
    assert.equal(location(response('', { location: 'https://ca/acct/1' }), 'u', 'newAccount'), 'https://ca/acct/1');
  });
  const noLocation: { name: string; headers: Record<string, string> }[] = [
    { name: 'a missing Location', headers: {} },
    { name: 'a relative Location', headers: { location: '/acct/1' } },
  ];
  for (const c of noLocation) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => location(response('', c.headers), 'u', 'newAccount'), isBad());
    });
  }
  it('rejects a body that is not JSON, keeping the parse error as cause', () => {
    assert.throws(
      () => parseJson(response('<html>'), 'u'),
      (e: unknown) => isBad()(e) && (e as Error).cause instanceof SyntaxError,
    );
  });
  it("returns the checked object with the CA's Retry-After", () => {
    const f = fetched(response('{"a":1}', { 'retry-after': '0' }), 'u', (b) => b as { a: number });
    assert.equal(f.value.a, 1);
    assert.ok(f.retryAfter instanceof Date);
  });
  it('leaves out retryAfter when the CA sent none', () => {
    assert.equal('retryAfter' in fetched(response('{}'), 'u', (b) => b), false);
  });
});

describe('order objects (RFC 8555 §7.1.3)', () => {
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
  const broken = [
    { name: 'a string', body: 'nope', field: 'not an object' },
    { name: 'an array', body: [order], field: 'not an object' },
    { name: 'a non-string status', body: { ...order, status: 3 }, field: 'status' },
    {
      name: 'authorizations not a list',
      body: { ...order, authorizations: 'https://ca/authz/1' },
      field: 'authorizations',
    },
    { name: 'authorizations not URLs', body: { ...order, authorizations: [{ url: 'x' }] }, field: 'authorizations' },
    { name: 'no finalize URL', body: { ...order, finalize: undefined }, field: 'finalize' },
    { name: 'a non-string certificate', body: { ...order, status: 'valid', certificate: 7 }, field: 'certificate' },
  ];
  for (const c of broken) {
    it(`rejects ${c.name} (field: ${c.field})`, () => {
      assert.throws(() => checkOrder(c.body, 'u'), isBad(c.field));
    });
  }
});

describe('authorization objects (RFC 8555 §7.1.4)', () => {
  const authz = {
    status: 'pending',
    identifier: { type: 'dns', value: 'a.example' },
    challenges: [{ type: 'http-01', url: 'https://ca/chall/1', status: 'pending', token: 't' }],
  };
  it('accepts a well-formed authorization', () => {
    assert.equal(checkAuthorization(authz, 'u').identifier.value, 'a.example');
  });
  const broken = [
    { name: 'a null status', body: { ...authz, status: null }, field: 'status' },
    { name: 'an identifier that is a string', body: { ...authz, identifier: 'a.example' }, field: 'identifier' },
    { name: 'challenges not a list', body: { ...authz, challenges: {} }, field: 'challenges' },
    {
      name: 'a challenge without url',
      body: { ...authz, challenges: [{ type: 'http-01', status: 'pending' }] },
      field: 'challenge url',
    },
    {
      name: 'a challenge with a non-string token',
      body: { ...authz, challenges: [{ ...authz.challenges[0], token: 5 }] },
      field: 'challenge token',
    },
  ];
  for (const c of broken) {
    it(`rejects ${c.name} (field: ${c.field})`, () => {
      assert.throws(() => checkAuthorization(c.body, 'u'), isBad(c.field));
    });
  }
  it('ignores challenge types it does not know, with or without a token, and entries that are no challenge', () => {
    const persist = {
      type: 'dns-persist-01',
      url: 'https://ca/chall/2',
      status: 'pending',
      accounturi: 'https://ca/acct/1',
      'issuer-domain-names': ['letsencrypt.org'],
    };
    const future = { type: 'future-99', weird: [1, 2] };
    const a = checkAuthorization(
      { ...authz, challenges: [persist, future, 42, null, { url: 'x' }, ...authz.challenges] },
      'u',
    );
    assert.deepEqual(
      a.challenges.map((c) => c.type),
      ['dns-persist-01', 'future-99', 'http-01'],
    );
  });
});

describe('challenge objects (RFC 8555 §7.1.5)', () => {
  it('accepts a well-formed challenge', () => {
    const ch = { type: 'http-01', url: 'https://ca/chall/1', status: 'pending', token: 't' };
    assert.equal(checkChallenge(ch, 'u').type, 'http-01');
  });
  it('rejects a challenge without status', () => {
    assert.throws(() => checkChallenge({ type: 'http-01', url: 'x' }, 'u'), isBad('challenge status'));
  });
});
