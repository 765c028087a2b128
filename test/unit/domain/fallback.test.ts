import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FallbackPhase, fallbackVerdict } from '../../../src/domain/fallback.js';
import { AcmeError } from '../../../src/acme/errors.js';
import { AppError } from '../../../src/lib/errors.js';

const problem = (
  type: string,
  status: number,
  code?: 'ACME_AUTHORIZATION_FAILED' | 'ACME_ORDER_INVALID',
  sub?: string[],
) =>
  new AcmeError(
    { type, detail: `${type} detail`, status, subproblems: sub?.map((t) => ({ type: t })) },
    code ? { code } : {},
  );

test('which failures at one CA are tried at the next (issue 13)', async (t) => {
  const cases: Array<[string, unknown, FallbackPhase, boolean, string]> = [
    ['CA unreachable', new AppError('ACME_NETWORK', 'ECONNREFUSED'), 'preparing', true, 'unreachable'],
    ['CA unreachable mid-order', new AppError('ACME_NETWORK', 'ECONNRESET'), 'created', true, 'unreachable'],
    [
      "a request's own timeout",
      new AppError('ACME_TIMEOUT', 't', { details: { operation: 'newOrder' } }),
      'sending',
      true,
      'unreachable',
    ],
    ['bad nonces', problem('badNonce', 400), 'sending', true, 'unreachable'],
    ['5xx on newOrder', problem('serverInternal', 503), 'sending', true, 'server-error'],
    ['5xx after the order existed', problem('serverInternal', 500), 'created', true, 'server-error'],
    ['rateLimited', problem('rateLimited', 429), 'sending', true, 'rate-limited'],
    ['EAB required', new AppError('ACME_EAB_REQUIRED', 'eab'), 'preparing', true, 'account'],
    ['externalAccountRequired problem', problem('externalAccountRequired', 403), 'preparing', true, 'account'],
    ['EAB refused (unauthorized before the order)', problem('unauthorized', 403), 'preparing', true, 'account'],
    ['account does not exist', problem('accountDoesNotExist', 400), 'sending', true, 'account'],
    ['profile not offered', new AppError('ACME_PROFILE_UNSUPPORTED', 'p'), 'preparing', true, 'account'],
    ['caa', problem('caa', 0, 'ACME_AUTHORIZATION_FAILED'), 'created', true, 'caa'],
    ['rejectedIdentifier on newOrder', problem('rejectedIdentifier', 400), 'sending', true, 'rejected-identifier'],
    [
      'compound of rejected identifiers',
      problem('compound', 400, undefined, ['rejectedIdentifier', 'rejectedIdentifier']),
      'sending',
      true,
      'rejected-identifier',
    ],
    [
      'compound with a caa and a rejected identifier',
      problem('compound', 400, undefined, ['caa', 'rejectedIdentifier']),
      'created',
      true,
      'caa',
    ],
    [
      'validation: unauthorized',
      problem('unauthorized', 0, 'ACME_AUTHORIZATION_FAILED'),
      'created',
      false,
      'validation',
    ],
    ['validation: connection', problem('connection', 0, 'ACME_AUTHORIZATION_FAILED'), 'created', false, 'validation'],
    ['validation: dns', problem('dns', 0, 'ACME_AUTHORIZATION_FAILED'), 'created', false, 'validation'],
    [
      'validation: incorrectResponse',
      problem('incorrectResponse', 0, 'ACME_AUTHORIZATION_FAILED'),
      'created',
      false,
      'validation',
    ],
    [
      'compound with a validation failure beside a caa',
      problem('compound', 0, 'ACME_AUTHORIZATION_FAILED', ['caa', 'unauthorized']),
      'created',
      false,
      'validation',
    ],
    ['malformed request', problem('malformed', 400), 'sending', false, 'request'],
    ['no names', new AppError('ACME_BAD_REQUEST', 'no names'), 'preparing', false, 'request'],
    ['the whole order timed out', new AppError('ACME_TIMEOUT', 'order'), 'created', false, 'other'],
    ['order invalid after finalize', problem('badCSR', 0, 'ACME_ORDER_INVALID'), 'created', false, 'other'],
    ['a thrown string', 'boom', 'created', false, 'other'],
  ];
  for (const [name, err, phase, next, reason] of cases) {
    await t.test(name, () => {
      assert.deepEqual(fallbackVerdict(err, phase), { next, reason });
    });
  }
});
