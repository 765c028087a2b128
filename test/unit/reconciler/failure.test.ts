import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureFacts } from '../../../src/reconciler/failure.js';
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
