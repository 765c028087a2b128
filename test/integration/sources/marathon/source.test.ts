/**
 * MarathonSource end to end against the simulator: initial sync on connect, re-list on events
 * (including deletes, which send no api_post_event), stream drop and resync, silence timeout,
 * over-long lines, 302 to the leader, URL rotation, failed reads (onError, never an empty snapshot),
 * periodic resync, coalescing of event storms, status() and metrics.
 * Timing: generous waits, no assertions on speed (loaded 2-core machines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarathonSource, type MarathonSourceOptions } from '../../../../src/sources/marathon/source.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { createMetrics } from '../../../../src/observe/metrics.js';
import type { Snapshot } from '../../../../src/domain/types.js';
import { startMarathonSimulator, type MarathonSimulator } from '../../../support/marathon-simulator/index.js';
import { deadPort, delay, memoryLogger, waitFor } from './helpers.js';

function acmeApp(id: string, domain: string): Record<string, unknown> {
  return {
    id,
    labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: domain },
    portDefinitions: [{ port: 10000, protocol: 'tcp' }],
  };
}
const names = (s: Snapshot | undefined): string[] => (s?.specs ?? []).map((x) => x.name).sort();

interface Harness {
  source: MarathonSource;
  snapshots: Snapshot[];
  errors: unknown[];
  last(): Snapshot | undefined;
  stop(): Promise<void>;
}

/** The flag-backed options (their defaults live in config.ts): no SSE timeout, no periodic resync here. */
const FLAGS = {
  group: 'external',
  allowMultipleCerts: false,
  san: false,
  timeoutMs: 5000,
  sseTimeoutMs: 0,
  resyncIntervalMs: 0,
} as const;

function run(opts: Partial<MarathonSourceOptions> & { urls: MarathonSourceOptions['urls'] }): Harness {
  const source = new MarathonSource({
    logger: silentLogger(),
    ...FLAGS,
    reconnectBackoff: { baseMs: 50, capMs: 200, factor: 2, jitter: 0.5 },
    syncBackoff: { baseMs: 50, capMs: 200, factor: 2, jitter: 0.5 },
    debounceMs: 20,
    minSyncIntervalMs: 50,
    ...opts,
  });
  const snapshots: Snapshot[] = [];
  const errors: unknown[] = [];
  const ac = new AbortController();
  const done = source.run(ac.signal, { onSnapshot: (s) => snapshots.push(s), onError: (e) => errors.push(e) });
  return {
    source,
    snapshots,
    errors,
    last: () => snapshots.at(-1),
    stop: async () => {
      ac.abort();
      await done; // resolves, never rejects
    },
  };
}

async function withSim(
  opts: Parameters<typeof startMarathonSimulator>[0],
  fn: (sim: MarathonSimulator) => Promise<void>,
): Promise<void> {
  const sim = await startMarathonSimulator(opts);
  try {
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

test('initial snapshot on connect; re-list on create, update and delete events', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    const h = run({ urls: sim.url });
    try {
      await waitFor(() => names(h.last()).join() === 'a.example.com', 'initial snapshot');
      assert.equal(h.source.status().stream, 'connected');
      assert.ok(h.source.status().lastSnapshotAt instanceof Date);
      const req = sim.controls.requests().find((r) => r.path === '/v2/events')!;
      assert.equal(
        req.query,
        '?event_type=api_post_event&event_type=app_terminated_event&event_type=deployment_success&event_type=event_stream_attached&event_type=group_change_success',
      );

      sim.apps.add(acmeApp('/b', 'b.example.com'));
      await waitFor(() => names(h.last()).join() === 'a.example.com,b.example.com', 'snapshot after POST');

      sim.apps.put(acmeApp('/b', 'c.example.com'));
      await waitFor(() => names(h.last()).join() === 'a.example.com,c.example.com', 'snapshot after PUT');

      // DELETE publishes no api_post_event: the deployment/termination events must be enough.
      assert.ok(sim.apps.remove('/a'));
      await waitFor(() => names(h.last()).join() === 'c.example.com', 'snapshot after DELETE');
      assert.deepEqual(h.last()!.specs[0]!.requestedBy, [{ source: 'marathon', appId: '/b', portIndex: 0 }]);
      assert.equal(h.errors.length, 0);
    } finally {
      await h.stop();
    }
    assert.equal(h.source.status().stream, 'disconnected');
  });
});

test('another client attaching does not cause a re-list (test_listen_events_attach_only_first)', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    const h = run({ urls: sim.url, minSyncIntervalMs: 0 });
    try {
      await waitFor(() => h.snapshots.length === 1, 'initial snapshot');
      await delay(300);
      const before = sim.controls.appsRequestCount();
      const other = new MarathonSource({ ...FLAGS, urls: sim.url, logger: silentLogger() });
      const ac = new AbortController();
      const otherDone = other.run(ac.signal, { onSnapshot: () => undefined, onError: () => undefined });
      await waitFor(() => sim.controls.streamCount() === 2, 'second stream');
      await delay(500);
      ac.abort();
      await otherDone;
      // Only the other client's own initial re-list happened.
      assert.equal(sim.controls.appsRequestCount() - before, 1);
      assert.equal(h.snapshots.length, 1);
    } finally {
      await h.stop();
    }
  });
});

test('stream drop: reconnect and a full resync each time (test_listen_events_syncs_each_reconnect)', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    const h = run({ urls: sim.url });
    try {
      await waitFor(() => h.snapshots.length === 1 && sim.controls.streamCount() === 1, 'connected');
      // A change while disconnected is seen through the resync after the reconnect.
      sim.controls.dropStreams();
      sim.apps.setRaw([acmeApp('/a', 'a.example.com'), acmeApp('/z', 'z.example.com')]);
      await waitFor(() => names(h.last()).includes('z.example.com'), 'resync after reconnect');
      await waitFor(() => sim.controls.streamCount() === 1, 'reconnected');
      sim.controls.resetStreams();
      await waitFor(() => h.snapshots.length >= 3, 'resync after a reset');
      const events = sim.controls.requests().filter((r) => r.path === '/v2/events').length;
      assert.ok(events >= 3, `reconnected (${events} stream requests)`);
    } finally {
      await h.stop();
    }
  });
});

test('silence longer than the SSE timeout aborts and reconnects; keep-alives keep it open', async () => {
  await withSim({ apps: [], keepAliveMs: 100 }, async (sim) => {
    const h = run({ urls: sim.url, sseTimeoutMs: 1000 });
    try {
      await waitFor(() => sim.controls.streamCount() === 1 && h.snapshots.length === 1, 'connected');
      await delay(2500);
      const streamRequests = (): number => sim.controls.requests().filter((r) => r.path === '/v2/events').length;
      assert.equal(streamRequests(), 1, 'bare CRLF keep-alives count as data');
      sim.controls.stall({ streams: true });
      await waitFor(() => streamRequests() >= 2, 'reconnect after silence');
      assert.equal(h.source.status().lastError?.code, 'SSE_TIMEOUT');
      sim.controls.stall({});
      await waitFor(() => h.source.status().stream === 'connected', 'connected again');
      await waitFor(() => h.snapshots.length >= 2, 'resync after the reconnect');
    } finally {
      await h.stop();
    }
  });
});

test('an over-long line aborts the connection and reconnects (test_listen_events_sse_line_too_long_reconnects)', async () => {
  await withSim({ apps: [] }, async (sim) => {
    const h = run({ urls: sim.url, maxLineLength: 512 });
    try {
      await waitFor(() => sim.controls.streamCount() === 1 && h.snapshots.length === 1, 'connected');
      sim.controls.emit('api_post_event', { uri: '/v2/apps/x', appDefinition: { id: '/x', cmd: 'x'.repeat(2000) } });
      await waitFor(() => h.source.status().lastError?.code === 'SSE_LINE_TOO_LONG', 'line too long');
      await waitFor(() => sim.controls.requests().filter((r) => r.path === '/v2/events').length >= 2, 'reconnect');
      await waitFor(() => h.snapshots.length >= 2, 'resync');
    } finally {
      await h.stop();
    }
  });
});

test('failover across URLs and 302 from a standby to the leader', async () => {
  const leader = await startMarathonSimulator({ apps: [acmeApp('/a', 'a.example.com')] });
  const standby = await startMarathonSimulator({ standbyOf: leader.url });
  const dead = `http://127.0.0.1:${await deadPort()}`;
  const h = run({ urls: `${dead}, ${standby.url}` });
  try {
    await waitFor(() => names(h.last()).join() === 'a.example.com', 'snapshot through the standby');
    await waitFor(() => leader.controls.streamCount() === 1, 'stream on the leader');
    assert.ok(
      standby.controls.requests().some((r) => r.path === '/v2/events'),
      'asked the standby first',
    );
    leader.apps.add(acmeApp('/b', 'b.example.com'));
    await waitFor(() => names(h.last()).join() === 'a.example.com,b.example.com', 'event from the leader stream');
  } finally {
    await h.stop();
    await standby.stop();
    await leader.stop();
  }
});

test('a stream that closes at once rotates to the next URL', async () => {
  const a = await startMarathonSimulator({ apps: [acmeApp('/a', 'a.example.com')] });
  const b = await startMarathonSimulator({ apps: [acmeApp('/a', 'a.example.com')] });
  a.controls.closeNewStreams(true); // a standby closing new streams (pre-1.7, §2.2)
  const h = run({ urls: [a.url, b.url] });
  try {
    await waitFor(() => b.controls.streamCount() === 1, 'stream moved to b');
    await delay(300);
    assert.equal(b.controls.streamCount(), 1, 'stays on b');
  } finally {
    await h.stop();
    await a.stop();
    await b.stop();
  }
});

test('a failed read calls onError, never emits an empty snapshot, and is retried', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    sim.controls.failWith(500);
    const metrics = createMetrics({ defaultMetrics: false });
    const h = run({ urls: sim.url, metrics });
    try {
      await waitFor(() => h.errors.length >= 2, 'errors reported and retried');
      assert.equal(h.snapshots.length, 0, 'no snapshot from a failed read');
      assert.equal(h.source.status().lastError?.code, 'MARATHON_HTTP_STATUS');
      sim.controls.failWith(null);
      await waitFor(() => names(h.last()).join() === 'a.example.com', 'recovered');
      const text = await metrics.registry.metrics();
      assert.match(text, /marathon_acme_marathon_snapshots_total\{result="failure"\} [1-9]/);
      assert.match(text, /marathon_acme_marathon_snapshots_total\{result="success"\} [1-9]/);
      assert.match(text, /marathon_acme_event_stream_connected 1/);
    } finally {
      await h.stop();
    }
  });
});

test('problems are reported in snapshots, and the other apps proceed', async () => {
  await withSim({ apps: [acmeApp('/a', '../etc'), acmeApp('/b', 'b.example.com')] }, async (sim) => {
    const h = run({ urls: sim.url });
    try {
      await waitFor(() => h.snapshots.length === 1, 'snapshot');
      assert.deepEqual(names(h.last()), ['b.example.com']);
      assert.deepEqual(
        h.last()!.problems.map((p) => [p.appId, p.code]),
        [['/a', 'INVALID_NAME']],
      );
    } finally {
      await h.stop();
    }
  });
});

test('periodic resync and resync() re-list without events', async () => {
  await withSim({ apps: [] }, async (sim) => {
    const h = run({ urls: sim.url, resyncIntervalMs: 300 });
    try {
      await waitFor(() => h.snapshots.length >= 3, 'periodic resyncs');
    } finally {
      await h.stop();
    }
    const h2 = run({ urls: sim.url });
    try {
      await waitFor(() => h2.snapshots.length === 1, 'first');
      h2.source.resync();
      await waitFor(() => h2.snapshots.length === 2, 'resync()');
    } finally {
      await h2.stop();
    }
  });
});

test('an event storm of 1000 events is coalesced into at most 2 re-lists', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    // Production coalescing settings.
    const h = run({ urls: sim.url, debounceMs: 250, minSyncIntervalMs: 1000 });
    try {
      await waitFor(() => h.snapshots.length === 1, 'initial snapshot');
      await delay(1500);
      const before = sim.controls.appsRequestCount();
      sim.controls.storm(1000, 'api_post_event');
      await waitFor(() => sim.controls.appsRequestCount() > before, 'at least one re-list');
      await delay(3000);
      const relists = sim.controls.appsRequestCount() - before;
      assert.ok(relists >= 1 && relists <= 2, `re-lists after the storm: ${relists}`);
    } finally {
      await h.stop();
    }
  });
});

test('run() resolves on abort even while connecting to an unreachable Marathon', async () => {
  const h = run({ urls: `http://127.0.0.1:${await deadPort()}` });
  await waitFor(() => h.errors.length >= 1, 'error reported');
  assert.equal(h.snapshots.length, 0);
  assert.equal(h.source.status().lastError?.code, 'MARATHON_UNREACHABLE');
  await h.stop();
  assert.equal(h.source.status().stream, 'disconnected');
});

test('after a failed re-list, events, resync() and reconnects wait for the backoff (503 + event storm)', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    // Fixed 1 s retry delay (no jitter): re-lists while failing must come at most once a second.
    const h = run({
      urls: sim.url,
      syncBackoff: { baseMs: 1000, capMs: 1000, factor: 1, jitter: 0 },
      minSyncIntervalMs: 50,
      debounceMs: 10,
    });
    try {
      await waitFor(() => names(h.last()).join() === 'a.example.com', 'initial snapshot');
      await waitFor(() => h.source.status().stream === 'connected', 'stream connected');
      sim.controls.failWith(503);
      const before = sim.controls.appsRequestCount();
      const started = Date.now();
      while (Date.now() - started < 3000) {
        sim.controls.storm(20, 'api_post_event');
        h.source.resync();
        await delay(40);
      }
      const elapsed = Date.now() - started;
      const relists = sim.controls.appsRequestCount() - before;
      // First failure, then one retry per second: ~4 in 3 s. Without the backoff floor: one per 50 ms (~60).
      assert.ok(relists >= 2, `Marathon is still retried while failing: ${relists}`);
      assert.ok(relists <= Math.ceil(elapsed / 1000) + 2, `re-lists in ${elapsed} ms while failing: ${relists}`);
      assert.ok(h.errors.length >= 1);
      sim.controls.failWith(null);
      sim.apps.add(acmeApp('/b', 'b.example.com'));
      await waitFor(() => names(h.last()).join() === 'a.example.com,b.example.com', 'recovers after Marathon does');
    } finally {
      await h.stop();
    }
  });
});

test('an unexpected error while reading the stream is logged with err and shown in status()', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    const { logger, lines } = memoryLogger('debug');
    // Make event handling throw: the source's component logger fails on the per-event debug line.
    const child = logger.child.bind(logger);
    logger.child = ((bindings: Record<string, unknown>) => {
      const c = child(bindings);
      const debug = c.debug.bind(c);
      c.debug = ((obj: unknown, msg?: string, ...rest: unknown[]) => {
        if (msg === 'marathon event received, re-listing apps') throw new Error('boom while handling an event');
        return (debug as (...a: unknown[]) => void)(obj, msg, ...rest);
      }) as typeof c.debug;
      return c;
    }) as unknown as typeof logger.child;
    const h = run({ urls: sim.url, logger });
    try {
      await waitFor(() => names(h.last()).join() === 'a.example.com', 'initial snapshot');
      await waitFor(() => h.source.status().stream === 'connected', 'stream connected');
      sim.controls.emit('api_post_event', { clientIp: null, uri: '/v2/apps/x', appDefinition: { id: '/x' } });
      const ended = (l: string): boolean =>
        l.includes('event stream ended, reconnecting') && l.includes('parser-error');
      await waitFor(() => lines().some(ended), 'error logged');
      const line = JSON.parse(lines().find(ended)!) as { level: unknown; err?: { message?: string } };
      assert.equal(line.level, 'warn');
      assert.equal(line.err?.message, 'boom while handling an event');
      assert.equal(h.source.status().lastError?.message, 'boom while handling an event');
      await waitFor(() => sim.controls.streamCount() === 1 && h.source.status().stream === 'connected', 'reconnected');
    } finally {
      await h.stop();
    }
  });
});

test('run() while already running rejects with SOURCE_RUNNING (a programming error); the first run is unaffected', async () => {
  await withSim({ apps: [acmeApp('/a', 'a.example.com')] }, async (sim) => {
    const h = run({ urls: sim.url });
    try {
      await assert.rejects(
        h.source.run(new AbortController().signal, { onSnapshot: () => undefined, onError: () => undefined }),
        (e: unknown) => (e as { code?: string }).code === 'SOURCE_RUNNING',
      );
      await waitFor(() => names(h.last()).join() === 'a.example.com', 'the first run still delivers');
    } finally {
      await h.stop();
    }
  });
});
