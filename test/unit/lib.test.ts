import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, type BackoffPolicy } from '../../src/lib/backoff.js';
import { formatTextLine } from '../../src/lib/logger.js';
import { sleep } from '../../src/lib/abort.js';
import { VERSION } from '../../src/version.js';
import { readFileSync } from 'node:fs';

const policy: BackoffPolicy = { baseMs: 1000, capMs: 60_000, factor: 2, jitter: 0.5 };

test('backoffDelay grows exponentially, is capped, and never reaches zero', () => {
  const cases: Array<[string, number, number, number]> = [
    ['first attempt, no jitter drawn', 1, 0, 1000],
    ['first attempt, max jitter', 1, 0.999999, 500],
    ['third attempt', 3, 0, 4000],
    ['capped', 20, 0, 60_000],
    ['capped with jitter', 20, 0.5, 45_000],
    ['attempt 0 treated as 1', 0, 0, 1000],
  ];
  for (const [name, attempt, random, want] of cases) {
    assert.equal(backoffDelay(policy, attempt, random), want, name);
  }
  assert.equal(backoffDelay({ ...policy, jitter: 1 }, 1, 0.9999999), 1, 'floor of 1 ms, never 0');
});

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

test('sleep rejects promptly with AbortError when aborted', async () => {
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
});

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});

import { SlidingWindow } from '../../src/lib/sliding-window.js';

test('SlidingWindow counts events in the window and says when the next fits', () => {
  const w = new SlidingWindow(2, 1000);
  assert.equal(w.available(0), true);
  w.record(0);
  w.record(100);
  assert.equal(w.available(500), false);
  assert.equal(w.nextFreeAt(500), 1000);
  assert.equal(w.available(1000), true, 'the first event left the window');
  assert.equal(w.used(1100), 0);
  assert.equal(new SlidingWindow(0, 1000).available(0), false, 'a zero budget never admits');
});

import { createLogger, serializeErr } from '../../src/lib/logger.js';
import { Writable } from 'node:stream';
import { AppError } from '../../src/lib/errors.js';

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

test('SlidingWindow restores events recorded before a restart', () => {
  const w = new SlidingWindow(2, 1000);
  w.restore([500, 100]);
  assert.deepEqual(w.times(600), [100, 500]);
  assert.equal(w.available(600), false);
  assert.equal(w.nextFreeAt(600), 1100);
});
