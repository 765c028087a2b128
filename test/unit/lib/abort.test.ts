/** src/lib/abort.ts: the signal helpers the ACME issuer and client rely on. Timers are mocked. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, untilAborted, withTimeout } from '../../../src/lib/abort.js';
import { AppError, isAbortError } from '../../../src/lib/errors.js';

describe('withTimeout', () => {
  it('fires after the timeout with the given typed reason', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const w = withTimeout(undefined, 20, () => new AppError('ACME_TIMEOUT', 'budget'));
    t.mock.timers.tick(19);
    assert.equal(w.signal.aborted, false);
    t.mock.timers.tick(1);
    assert.ok(w.signal.aborted);
    assert.ok(w.signal.reason instanceof AppError && w.signal.reason.code === 'ACME_TIMEOUT');
  });

  it("fires with the parent's reason when the parent aborts first", () => {
    const parent = new AbortController();
    const w = withTimeout(parent.signal, 60_000, () => new AppError('ACME_TIMEOUT', 'budget'));
    parent.abort();
    assert.ok(w.signal.aborted);
    assert.ok(isAbortError(w.signal.reason));
    w.clear();
  });

  it('never fires once cleared', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const w = withTimeout(new AbortController().signal, 10);
    w.clear();
    t.mock.timers.tick(1000);
    assert.equal(w.signal.aborted, false);
  });

  it('defaults to a TimeoutError reason', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const w = withTimeout(undefined, 1);
    t.mock.timers.tick(1);
    assert.equal((w.signal.reason as Error).name, 'TimeoutError');
  });
});

describe('untilAborted', () => {
  it("rejects with the signal's reason while the shared promise keeps running for others", async () => {
    let resolveShared!: (v: number) => void;
    const shared = new Promise<number>((r) => {
      resolveShared = r;
    });
    const a = new AbortController();
    const waiterA = untilAborted(shared, a.signal);
    const waiterB = untilAborted(shared, new AbortController().signal);
    a.abort(new AppError('ACME_TIMEOUT', 'mine'));
    await assert.rejects(waiterA, (e: unknown) => e instanceof AppError && e.code === 'ACME_TIMEOUT');
    resolveShared(7);
    assert.equal(await waiterB, 7);
  });

  it('rejects at once for an already aborted signal', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(untilAborted(Promise.resolve(1), ctl.signal), (e: unknown) => isAbortError(e));
  });
});

describe('sleep', () => {
  it('rejects promptly with AbortError when aborted', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  });
});
