import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackoffPolicy } from '../../../src/lib/backoff.js';
import { retry, retryUntilAborted, type RetryOptions } from '../../../src/lib/retry.js';

/** Delays 100, 200, 400, ... ms (no jitter drawn: random is 0). */
const policy: BackoffPolicy = { baseMs: 100, capMs: 10_000, factor: 2, jitter: 0.5 };

interface Case {
  readonly name: string;
  /** What each attempt does: an Error is thrown, anything else is returned. */
  readonly outcomes: readonly unknown[];
  readonly opts?: Partial<RetryOptions>;
  readonly want: { readonly result?: unknown; readonly error?: string };
  readonly attempts: number;
  /** The delays passed to the injected sleep, in ms. */
  readonly sleeps: readonly number[];
}

const transient = new Error('transient');
const fatal = new Error('fatal');
const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });

const cases: Case[] = [
  { name: 'succeeds at once', outcomes: ['ok'], want: { result: 'ok' }, attempts: 1, sleeps: [] },
  {
    name: "succeeds after failures, sleeping the policy's delays",
    outcomes: [transient, transient, transient, 'ok'],
    want: { result: 'ok' },
    attempts: 4,
    sleeps: [100, 200, 400],
  },
  {
    name: 'gives up after maxAttempts with the last error',
    outcomes: [transient, transient, fatal, 'never reached'],
    opts: { maxAttempts: 3 },
    want: { error: 'fatal' },
    attempts: 3,
    sleeps: [100, 200],
  },
  {
    name: 'never retries an error retryable refuses',
    outcomes: [fatal, 'never reached'],
    opts: { retryable: (err) => err !== fatal },
    want: { error: 'fatal' },
    attempts: 1,
    sleeps: [],
  },
  {
    name: 'retries what retryable accepts',
    outcomes: [transient, 'ok'],
    opts: { retryable: (err) => err !== fatal },
    want: { result: 'ok' },
    attempts: 2,
    sleeps: [100],
  },
  {
    name: 'never retries an abort error by default',
    outcomes: [aborted, 'never reached'],
    want: { error: 'aborted' },
    attempts: 1,
    sleeps: [],
  },
];

for (const c of cases) {
  test(`retry: ${c.name}`, async () => {
    const sleeps: number[] = [];
    const failures: Array<[unknown, number, number]> = [];
    let attempts = 0;
    const run = retry(
      async (attempt) => {
        attempts += 1;
        assert.equal(attempt, attempts, 'attempt counts from 1');
        const outcome = c.outcomes[attempt - 1];
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
      {
        policy,
        signal: new AbortController().signal,
        random: () => 0,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        onFailure: (err, attempt, delayMs) => failures.push([err, attempt, delayMs]),
        ...c.opts,
      },
    );
    if (c.want.error !== undefined) await assert.rejects(run, { message: c.want.error });
    else assert.equal(await run, c.want.result);
    assert.equal(attempts, c.attempts);
    assert.deepEqual(sleeps, c.sleeps);
    assert.deepEqual(
      failures,
      c.sleeps.map((delay, i) => [c.outcomes[i], i + 1, delay]),
      'onFailure gets the error, the attempt and the delay that follows',
    );
  });
}

test('retry: rejects with the abort reason when aborted mid-sleep', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const ac = new AbortController();
  const reason = new Error('shutting down');
  let attempts = 0;
  const opts: RetryOptions = {
    policy: { ...policy, baseMs: 60_000 },
    signal: ac.signal,
    random: () => 0,
    onFailure: () => setImmediate(() => ac.abort(reason)), // the real sleep of 60 s is pending by then
  };
  const run = retry(async () => {
    attempts += 1;
    throw transient;
  }, opts);
  await assert.rejects(run, (err: unknown) => err === reason);
  assert.equal(attempts, 1);
});

test('retry: an aborted signal stops it before the first attempt', async () => {
  const fn = mock.fn(async () => 'ok');
  const signal = AbortSignal.abort(new Error('already'));
  await assert.rejects(retry(fn, { policy, signal }), { message: 'already' });
  assert.equal(fn.mock.callCount(), 0);
});

test('retryUntilAborted resolves undefined on abort, and rejects on a refused error', async () => {
  const ac = new AbortController();
  const stopped = retryUntilAborted(
    async () => {
      ac.abort(new Error('stop'));
      throw transient;
    },
    { policy, signal: ac.signal, sleep: async (_ms, signal) => signal.throwIfAborted() },
  );
  assert.equal(await stopped, undefined);
  await assert.rejects(
    retryUntilAborted(
      async () => {
        throw fatal;
      },
      { policy, signal: new AbortController().signal, retryable: () => false },
    ),
    { message: 'fatal' },
  );
});
