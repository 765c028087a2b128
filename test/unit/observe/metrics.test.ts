import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, renderMetrics } from '../../../src/observe/metrics.js';

test('renderMetrics serves the per-certificate families from their cache, the rest as prom-client renders it', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.certificateGauges.update([['a.example', { expiry: 1_900_000_000, failures: 0, backoffUntil: 0 }]]);
  m.lbSignals.inc({ notifier: 'marathon-lb', result: 'success' });
  m.removalsHeld.set(2);
  assert.equal(await renderMetrics(m), await m.registry.metrics());
});

test('process metrics keep prom-client standard names, without our prefix', async () => {
  const m = createMetrics();
  const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes'])
    assert.ok(names.includes(name), `${name} is exported`);
  assert.ok(names.includes('nodejs_eventloop_lag_seconds'));
  assert.deepEqual(
    names.filter((n) => n.startsWith('marathon_acme_process')),
    [],
  );
});
