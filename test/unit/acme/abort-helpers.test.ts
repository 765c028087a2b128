/** The signal helpers of src/lib/abort.ts that the ACME issuer and client rely on. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { untilAborted, withTimeout } from '../../../src/lib/abort.js';
import { AppError, isAbortError } from '../../../src/lib/errors.js';

describe('withTimeout', () => {
  it('fires after the timeout with the given typed reason', async () => {
    const t = withTimeout(undefined, 20, () => new AppError('ACME_TIMEOUT', 'budget'));
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(t.signal.aborted);
    assert.ok(t.signal.reason instanceof AppError && t.signal.reason.code === 'ACME_TIMEOUT');
  });

  it("fires with the parent's reason when the parent aborts first", () => {
    const parent = new AbortController();
    const t = withTimeout(parent.signal, 60_000, () => new AppError('ACME_TIMEOUT', 'budget'));
    parent.abort();
    assert.ok(t.signal.aborted);
    assert.ok(isAbortError(t.signal.reason));
    t.clear();
  });

  it('never fires once cleared', async () => {
    const t = withTimeout(new AbortController().signal, 10);
    t.clear();
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(t.signal.aborted, false);
  });

  it('defaults to a TimeoutError reason', async () => {
    const t = withTimeout(undefined, 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((t.signal.reason as Error).name, 'TimeoutError');
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
