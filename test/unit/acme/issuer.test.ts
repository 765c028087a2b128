/** src/acme/issuer.ts: what the issuer reports without a CA (the order recipe runs in test/integration/acme/). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AcmeIssuer, orderError } from '../../../src/acme/issuer.js';
import { silentLogger } from '../../../src/lib/logger.js';

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
  });
  it('says a valid order lacks its certificate URL', () => {
    assert.match(orderError({ ...order, status: 'valid' }, 'u').detail, /no certificate URL/);
  });
});

describe('the issuer as one CA', () => {
  it('is keyed by its directory URL', () => {
    const directoryUrl = 'https://127.0.0.1:1/dir';
    const issuer = new AcmeIssuer({
      directoryUrl,
      accountKey: { read: async () => null, write: async () => {} },
      logger: silentLogger(),
      solvers: [],
    });
    assert.equal(issuer.directoryUrl, directoryUrl);
    assert.equal(issuer.status().directoryUrl, directoryUrl);
    issuer.close();
  });
});
