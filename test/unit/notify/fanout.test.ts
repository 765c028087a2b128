import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Notifier } from '../../../src/domain/contracts.js';
import { FanoutNotifier } from '../../../src/notify/fanout.js';
import { change, never } from '../../support/notify-fakes.js';

test('FanoutNotifier: all must succeed; failures are named; abort rejects', async () => {
  const fake = (name: string, ok: boolean, delayMs = 0): Notifier => ({
    name,
    async notify(_c, signal) {
      await new Promise((r) => setTimeout(r, delayMs));
      if (signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      return ok ? { ok } : { ok, detail: 'nope' };
    },
    async stop() {},
  });
  assert.deepEqual(await new FanoutNotifier([fake('a', true), fake('b', true)]).notify(change, never()), { ok: true });
  assert.deepEqual(await new FanoutNotifier([fake('a', true), fake('b', false)]).notify(change, never()), {
    ok: false,
    detail: 'b: nope',
  });
  const ctl = new AbortController();
  const p = new FanoutNotifier([fake('a', true, 50)]).notify(change, ctl.signal);
  ctl.abort();
  await assert.rejects(p, { name: 'AbortError' });
  assert.equal(new FanoutNotifier([fake('a', true), fake('b', true)]).name, 'a+b');
});
