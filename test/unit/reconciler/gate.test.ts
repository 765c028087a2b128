import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Gate, type GateOptions } from '../../../src/reconciler/gate.js';
import { memoryLogger } from '../../support/notify-fakes.js';
import { VirtualTime } from '../../support/fakes.js';

const CAUSE = { code: 'ACME_NETWORK', detail: 'connect ECONNREFUSED' };

/** A gate whose probe fails while `down` is true, on virtual time, with jitter 0 (random = 0). */
function gate(t: TestContext, o: Partial<GateOptions> = {}) {
  const time = new VirtualTime(t);
  const { logger, lines } = memoryLogger();
  const state = { down: true, probes: [] as number[], opened: 0, inFlight: 0, maxInFlight: 0 };
  const g = new Gate({
    name: 'ca',
    log: logger,
    messages: { closed: 'waiting', opened: 'resumed' },
    now: time.now,
    random: () => 0,
    signal: () => new AbortController().signal,
    onOpen: () => {
      state.opened++;
    },
    probe: async () => {
      state.probes.push(time.now());
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      await new Promise((r) => setTimeout(r, 50));
      state.inFlight--;
      if (state.down) throw new Error('ECONNREFUSED');
    },
    ...o,
  });
  return { g, time, state, lines };
}

test('a closed gate probes 1 s doubling to 5 s, one probe at a time, and opens at the first success', async (t) => {
  const { g, time, state, lines } = gate(t);
  const t0 = time.now();
  g.close(CAUSE);
  g.close({ code: 'OTHER', detail: 'ignored while closed' });
  assert.equal(g.open, false);
  assert.deepEqual(g.status(), { state: 'waiting', since: new Date(t0).toISOString(), cause: CAUSE, probes: 0 });
  await time.advance(30_000, 50);
  // Probes start 1, 2, 4, 5, 5 ... s after the previous one ended (each takes 50 ms here).
  const gaps = state.probes.map((p, i) => p - (i === 0 ? t0 : state.probes[i - 1]! + 50));
  assert.deepEqual(gaps.slice(0, 6), [1000, 2000, 4000, 5000, 5000, 5000]);
  assert.equal(state.maxInFlight, 1, 'never two probes at once');
  assert.equal(state.opened, 0);
  assert.match(g.status().probeError ?? '', /ECONNREFUSED/);
  state.down = false;
  await time.until(() => g.open, 'opened', 6000);
  assert.equal(state.opened, 1, 'onOpen once');
  assert.deepEqual(g.status(), { state: 'open' });
  assert.match(lines(), /"gate":"ca","code":"ACME_NETWORK".*"msg":"waiting"/);
  assert.match(lines(), /"msg":"resumed"/);
  assert.equal(lines().match(/"msg":"waiting"/g)?.length, 1, 'one line per outage, not one per probe');
});

test('closed again and again with no success in between, it waits longer each time; a success forgets it', async (t) => {
  const { g, time, state } = gate(t);
  state.down = false; // the probe passes, yet the work keeps failing (a CA that fails every account lookup)
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    const closedAt = time.now();
    g.close(CAUSE);
    await time.until(() => g.open, 'opened', 60_000);
    waits.push(time.now() - closedAt - 50);
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000]);
  g.succeeded();
  const closedAt = time.now();
  g.close(CAUSE);
  await time.until(() => g.open, 'opened', 60_000);
  assert.equal(time.now() - closedAt - 50, 1000, 'back to the short probe after a success');
});

test('no probe after shutdown', async (t) => {
  const ac = new AbortController();
  const { g, time, state } = gate(t, { signal: () => ac.signal });
  g.close(CAUSE);
  ac.abort();
  g.stop();
  await time.advance(10_000, 100);
  assert.deepEqual(state.probes, []);
});
