import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type FailureScope,
  failureFacts,
  failureScope,
  type OrderPhase,
  storageErrno,
} from '../../../src/reconciler/failure.js';
import { AppError } from '../../../src/lib/errors.js';

test('failureFacts takes code, type, detail and Retry-After from any error, as they are', () => {
  const when = new Date('2026-11-23T00:00:00Z');
  const cases: Array<[string, unknown, object]> = [
    [
      'ACME problem',
      Object.assign(new AppError('ACME_PROBLEM', 'x'), { type: 'rateLimited', detail: 'too many', retryAfter: when }),
      { code: 'ACME_PROBLEM', type: 'rateLimited', detail: 'too many', retryAfter: when },
    ],
    [
      'non-URN problem type kept whole',
      Object.assign(new AppError('ACME_PROBLEM', 'x'), { type: 'about:blank', detail: 'd' }),
      { code: 'ACME_PROBLEM', type: 'about:blank', detail: 'd' },
    ],
    [
      'network error',
      new AppError('ACME_NETWORK', 'connect ECONNREFUSED'),
      { code: 'ACME_NETWORK', detail: 'connect ECONNREFUSED' },
    ],
    ['plain error', new Error('boom'), { code: 'UNKNOWN', detail: 'boom' }],
    [
      'invalid date ignored',
      Object.assign(new Error('e'), { retryAfter: new Date('nope') }),
      { code: 'UNKNOWN', detail: 'e' },
    ],
    ['not an error', 'weird', { code: 'UNKNOWN', detail: 'weird' }],
  ];
  for (const [name, err, want] of cases) assert.deepEqual(failureFacts(err), want, name);
});

describe('failureScope: whose failure it is, from the error and how far the order got', () => {
  const problem = (type: string, status: number) =>
    Object.assign(new AppError('ACME_PROBLEM', `ACME ${type}`), { type, detail: type, status });
  const cases: Array<[string, unknown, OrderPhase, FailureScope]> = [
    ['CA refused the connection before any order', new AppError('ACME_NETWORK', 'ECONNREFUSED'), 'preparing', 'ca'],
    ['connection lost after the CA accepted the order', new AppError('ACME_NETWORK', 'reset'), 'created', 'ca'],
    [
      "a request's own timeout",
      new AppError('ACME_TIMEOUT', 'ACME request timed out', { details: { operation: 'newOrder' } }),
      'sending',
      'ca',
    ],
    [
      'the whole order timed out (validation hangs): the certificate',
      new AppError('ACME_TIMEOUT', 'ACME order timed out', { details: { names: ['a'] } }),
      'created',
      'certificate',
    ],
    ['a burst of bad nonces at the account lookup', problem('badNonce', 400), 'preparing', 'ca'],
    ['bad nonces even after the order exists', problem('badNonce', 400), 'created', 'ca'],
    ['the account lookup refused (a shared step)', problem('malformed', 400), 'preparing', 'ca'],
    ['503 to newOrder', problem('serverInternal', 503), 'sending', 'ca'],
    ['500 after the order exists: the certificate', problem('serverInternal', 500), 'created', 'certificate'],
    ['rate limited at newOrder', problem('rateLimited', 429), 'sending', 'certificate'],
    ['rejected identifier', problem('rejectedIdentifier', 400), 'sending', 'certificate'],
    ['validation failed', problem('unauthorized', 0), 'created', 'certificate'],
    ['no names: the request itself', new AppError('ACME_BAD_REQUEST', 'no names'), 'preparing', 'certificate'],
    [
      'another dependency down (its adapter says outage)',
      Object.assign(new Error('DNS server unreachable'), { outage: true }),
      'created',
      'ca',
    ],
    [
      'full disk writing the budget charge',
      Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }),
      'sending',
      'storage',
    ],
    [
      'storage check failed (errno in the cause)',
      new AppError('STORAGE_NOT_WRITABLE', 'x', { cause: Object.assign(new Error('EROFS'), { code: 'EROFS' }) }),
      'preparing',
      'storage',
    ],
  ];
  for (const [name, err, phase, want] of cases) test(name, () => assert.equal(failureScope(err, phase), want));
});

describe("a paused name (Let's Encrypt: rateLimited, no retry time, an unpause link)", () => {
  const LE =
    'Your account is temporarily prevented from requesting certificates for a.example.com, b.example.com and possibly others. Please visit: https://portal.letsencrypt.org/sfe/v1/unpause?jwt=abc.def.ghi';
  test('recognised from the detail, with the unpause URL', () => {
    const facts = failureFacts(Object.assign(new AppError('ACME_PROBLEM', 'x'), { type: 'rateLimited', detail: LE }));
    assert.equal(facts.paused, true);
    assert.equal(facts.unpauseUrl, 'https://portal.letsencrypt.org/sfe/v1/unpause?jwt=abc.def.ghi');
  });
  test("recognised from the ACME module's own marks", () => {
    const err = Object.assign(new AppError('ACME_PROBLEM', 'x'), {
      type: 'rateLimited',
      detail: 'paused',
      paused: true,
      unpauseUrl: 'https://ca.test/unpause?x=1',
    });
    assert.deepEqual([failureFacts(err).paused, failureFacts(err).unpauseUrl], [true, 'https://ca.test/unpause?x=1']);
  });
  test('an ordinary rate limit is not a pause', () => {
    const err = Object.assign(new AppError('ACME_PROBLEM', 'x'), {
      type: 'rateLimited',
      detail:
        'too many certificates (5) already issued for this exact set of identifiers; retry after 2026-11-23 00:00:00 UTC',
    });
    assert.equal(failureFacts(err).paused, undefined);
  });
  test('a link in another problem type is not a pause', () => {
    const err = Object.assign(new AppError('ACME_PROBLEM', 'x'), { type: 'unauthorized', detail: LE });
    assert.equal(failureFacts(err).paused, undefined);
  });
});

test('storageErrno finds the errno in the error or its causes', () => {
  const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  assert.equal(storageErrno(enospc), 'ENOSPC');
  assert.equal(storageErrno(new AppError('STORAGE_NOT_WRITABLE', 'x', { cause: enospc })), 'ENOSPC');
  assert.equal(storageErrno(new AppError('STORAGE_NOT_WRITABLE', 'x', { details: { errno: 'EROFS' } })), 'EROFS');
  assert.equal(storageErrno(new AppError('ACME_NETWORK', 'x')), undefined);
  assert.equal(storageErrno(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), undefined);
});

test('failureFacts keeps the CA subproblems, checked and cut to size; none when there are none', async (t) => {
  const sub = (v: unknown) =>
    Object.assign(new Error('x'), { code: 'ACME_PROBLEM', type: 'rejectedIdentifier', detail: 'd', subproblems: v });
  const cases: [string, unknown, unknown][] = [
    ['none', undefined, undefined],
    ['not an array', 'x', undefined],
    [
      'one per identifier',
      [{ type: 'urn:ietf:params:acme:error:caa', detail: 'CAA forbids', identifier: { type: 'dns', value: 'a.test' } }],
      [{ type: 'urn:ietf:params:acme:error:caa', detail: 'CAA forbids', identifier: 'a.test' }],
    ],
    ['entries without a type are dropped', [{ detail: 'x' }, { type: 'dns' }], [{ type: 'dns' }]],
    [
      'at most 10',
      Array.from({ length: 30 }, () => ({ type: 'dns' })),
      Array.from({ length: 10 }, () => ({ type: 'dns' })),
    ],
  ];
  for (const [name, raw, want] of cases)
    await t.test(name, () => assert.deepEqual(failureFacts(sub(raw)).subproblems, want));
});
