import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, messageWithCauses } from '../../../src/lib/errors.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:14000'), { code: 'ECONNREFUSED' });
const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

const cases: [string, unknown, string][] = [
  [
    'a network error keeps its cause (errno in the message)',
    new AppError('ACME_NETWORK', 'ACME request failed', { cause: refused }),
    'ACME request failed: connect ECONNREFUSED 127.0.0.1:14000',
  ],
  [
    'the errno is added when the message lacks it',
    new AppError('ACME_NETWORK', 'ACME request failed', { cause: reset }),
    'ACME request failed: ECONNRESET: socket hang up',
  ],
  ['no cause', new AppError('ACME_TIMEOUT', 'ACME order timed out'), 'ACME order timed out'],
  ['not an error', 'plain', 'plain'],
];
for (const [what, err, expected] of cases)
  test(`messageWithCauses: ${what}`, () => assert.equal(messageWithCauses(err), expected));
