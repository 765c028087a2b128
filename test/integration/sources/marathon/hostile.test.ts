/**
 * A hostile Marathon (issue 15 point 5) against MarathonSource, through the simulator's hostile
 * controls: an event that never ends, a line that never ends, apps and labels far over the limits, a
 * `/v2/apps` body dripping a byte at a time. Each time the source keeps delivering snapshots of the
 * other apps and reports what it refused. (Memory and latency figures: bench/hostile.ts.)
 * Also: what Marathon being down writes to the log (issue 9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarathonSource, type MarathonSourceOptions } from '../../../../src/sources/marathon/source.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import type { Snapshot } from '../../../../src/domain/types.js';
import { startMarathonSimulator, type MarathonSimulator } from '../../../support/marathon-simulator/index.js';
import { deadPort, memoryLogger, waitFor } from './helpers.js';

function acmeApp(id: string, domain: string, labels: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: domain, ...labels },
    portDefinitions: [{ port: 10000, protocol: 'tcp' }],
  };
}
const names = (s: Snapshot | undefined): string[] => (s?.specs ?? []).map((x) => x.name).sort();
const codes = (s: Snapshot | undefined): string[] => (s?.problems ?? []).map((p) => p.code).sort();

interface Harness {
  source: MarathonSource;
  snapshots: Snapshot[];
  errors: unknown[];
  last(): Snapshot | undefined;
  stop(): Promise<void>;
}

function run(opts: Partial<MarathonSourceOptions> & { urls: MarathonSourceOptions['urls'] }): Harness {
  const source = new MarathonSource({
    logger: silentLogger(),
    group: 'external',
    allowMultipleCerts: false,
    san: false,
    timeoutMs: 5000,
    sseTimeoutMs: 0,
    resyncIntervalMs: 0,
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
      await done;
    },
  };
}

async function withSim(apps: unknown[], fn: (sim: MarathonSimulator) => Promise<void>): Promise<void> {
  const sim = await startMarathonSimulator({ apps, keepAliveMs: 0 });
  try {
    await fn(sim);
  } finally {
    sim.controls.flood(null);
    await sim.stop();
  }
}

for (const [mode, code] of [
  ['endless-event', 'SSE_EVENT_TOO_LARGE'],
  ['endless-line', 'SSE_LINE_TOO_LONG'],
] as const) {
  test(`an event stream flooding with ${mode === 'endless-event' ? 'an event' : 'a line'} that never ends is cut at the limit and reconnected (${code})`, async () => {
    await withSim([acmeApp('/a', 'a.example.com')], async (sim) => {
      const h = run({ urls: sim.url, maxEventBytes: 4 * 1024 * 1024, maxLineLength: 4 * 1024 * 1024 });
      try {
        await waitFor(() => names(h.last()).join() === 'a.example.com', 'initial snapshot');
        sim.controls.flood(mode);
        await waitFor(() => h.source.status().lastError?.code === code, code);
        const streams = (): number => sim.controls.requests().filter((r) => r.path === '/v2/events').length;
        const before = streams();
        await waitFor(() => streams() >= before + 2, 'reconnects, each cut again');
        assert.ok(sim.controls.floodedBytes() > 8 * 1024 * 1024, 'the flood went on past the limits');
        // Reading Marathon still works meanwhile.
        sim.apps.add(acmeApp('/b', 'b.example.com'));
        h.source.resync();
        await waitFor(() => names(h.last()).join() === 'a.example.com,b.example.com', 'snapshot during the flood');
      } finally {
        await h.stop();
      }
    });
  });
}

test('apps and labels over the limits are skipped and reported; the other apps proceed', async () => {
  await withSim(
    [
      acmeApp('/a', 'a.example.com'),
      acmeApp('/big-label', 'l.example.com', { OTHER: 'x'.repeat(100 * 1024) }),
      acmeApp('/big-domain-label', `${'d'.repeat(70 * 1024)}.example.com`),
    ],
    async (sim) => {
      sim.controls.addHugeApp('/huge-definition', 16 * 1024 * 1024, 'definition', 'huge1.example.com');
      sim.controls.addHugeApp('/huge-label', 6 * 1024 * 1024, 'label', 'huge2.example.com');
      sim.apps.add(acmeApp('/z', 'z.example.com'));
      const h = run({ urls: sim.url });
      try {
        await waitFor(() => h.snapshots.length >= 1, 'snapshot');
        const s = h.last()!;
        // A large label of no interest is fine; an oversized domain label and oversized apps are not.
        assert.deepEqual(names(s), ['a.example.com', 'l.example.com', 'z.example.com']);
        assert.deepEqual(codes(s), ['APP_TOO_LARGE', 'APP_TOO_LARGE', 'LABEL_TOO_LARGE']);
        const tooLarge = s.problems.filter((p) => p.code === 'APP_TOO_LARGE').map((p) => p.appId);
        assert.deepEqual(tooLarge.sort(), ['/huge-definition', '/huge-label'], 'reported with their ids');
        assert.ok(
          s.problems.every((p) => (p.value ?? '').length <= 121),
          'excerpts stay short',
        );
      } finally {
        await h.stop();
      }
    },
  );
});

test('a /v2/apps body dripping a byte at a time hits the whole-body deadline; the next read sees new apps', async () => {
  await withSim([acmeApp('/a', 'a.example.com')], async (sim) => {
    sim.controls.drip(100, 1); // the first answer drips: ~10 bytes/s, never idle long enough to time out
    const h = run({ urls: sim.url, bodyTimeoutMs: 1500, timeoutMs: 1000 });
    try {
      await waitFor(() => h.errors.length >= 1, 'the dripping read fails');
      assert.equal((h.errors[0] as { code?: string }).code, 'MARATHON_TIMEOUT');
      assert.match((h.errors[0] as Error).message, /did not complete in time/);
      sim.apps.add(acmeApp('/b', 'b.example.com'));
      await waitFor(() => names(h.last()).join() === 'a.example.com,b.example.com', 'the app posted meanwhile');
    } finally {
      await h.stop();
    }
  });
});

test('Marathon down: one log line per failed read (with the cause) and one per failed stream, nothing else', async () => {
  const port = await deadPort();
  const { logger, lines } = memoryLogger('info');
  const h = run({ urls: `http://127.0.0.1:${port}`, logger });
  try {
    await waitFor(() => lines().filter((l) => l.includes('Sync failed')).length >= 3, 'three failed reads');
  } finally {
    await h.stop();
  }
  const parsed = lines().map((l) => JSON.parse(l) as { level: string; msg: string; err?: { cause?: string } });
  const loud = parsed.filter((l) => l.level === 'warn' || l.level === 'error');
  const kinds = new Set(loud.map((l) => l.msg));
  assert.deepEqual([...kinds].sort(), ['Sync failed', 'event stream failed, reconnecting']);
  for (const l of loud) assert.match(l.err?.cause ?? '', /ECONNREFUSED/, `${l.msg}: the cause is in the line`);
  const infos = parsed.filter((l) => l.level === 'info').map((l) => l.msg);
  assert.deepEqual([...new Set(infos)].sort(), ['marathon source starting', 'marathon source stopped']);
});
