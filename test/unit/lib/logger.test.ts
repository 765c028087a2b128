import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { AppError } from '../../../src/lib/errors.js';
import { createLogger, formatTextLine, serializeErr } from '../../../src/lib/logger.js';

test('formatTextLine renders constant message and fields', () => {
  const line = formatTextLine(
    JSON.stringify({
      time: 'T',
      level: 'info',
      component: 'acme',
      msg: 'order ready',
      domain: 'a.example',
      attempt: 2,
    }),
  );
  assert.equal(line, 'T INFO  [acme] order ready domain=a.example attempt=2');
  assert.equal(formatTextLine('not json'), 'not json');
});

test('logger: err fields are readable and secrets are redacted', () => {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ destination: dest, format: 'json' });
  log.warn(
    {
      err: new AppError('ACME_NETWORK', 'connect refused', { cause: new Error('ECONNREFUSED') }),
      headers: { authorization: 'Basic c2VjcmV0' },
      eabHmacKey: 'k',
    },
    'request failed',
  );
  log.info({ err: { code: 'X', message: 'described' } }, 'plain');
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(rec.err, { message: 'connect refused', code: 'ACME_NETWORK', cause: 'ECONNREFUSED' });
  assert.equal((rec.headers as Record<string, unknown>).authorization, '[redacted]');
  assert.equal(rec.eabHmacKey, '[redacted]');
  assert.equal(rec.msg, 'request failed');
  assert.deepEqual((JSON.parse(lines[1]!) as Record<string, unknown>).err, { code: 'X', message: 'described' });
});

test('serializeErr keeps problem fields, and the stack of errors without a code', () => {
  assert.equal(serializeErr('text'), 'text');
  const problem = Object.assign(new AppError('ACME_PROBLEM', 'rate limited'), {
    type: 'rateLimited',
    detail: 'too many',
    status: 429,
  });
  assert.deepEqual(serializeErr(problem), {
    message: 'rate limited',
    code: 'ACME_PROBLEM',
    type: 'rateLimited',
    detail: 'too many',
    status: 429,
  });
  const bug = serializeErr(new TypeError('x is undefined')) as Record<string, unknown>;
  assert.match(String(bug.stack), /TypeError/, 'errors without a code are bugs: they keep their stack');
});
