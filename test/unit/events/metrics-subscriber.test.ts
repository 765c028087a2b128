import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../../src/observe/metrics.js';
import { metricsSubscriber } from '../../../src/events/metrics-subscriber.js';
import { createEventBus } from '../../../src/events/index.js';
import { silentLogger } from '../../../src/lib/logger.js';

const AT = '2026-11-22T12:00:00.000Z';

test('installations and backoffs count as successful and failed orders', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const count = metricsSubscriber(metrics);
  const base = { name: 'a.example', at: AT, id: 1 };
  count({ ...base, type: 'installed', serial: 's', not_after: AT, issuer: 'u', reason: 'r' });
  count({
    ...base,
    type: 'backoff',
    attempt: 1,
    code: 'ACME_PROBLEM',
    problem_type: 'rateLimited',
    detail: 'd',
    next_attempt: AT,
  });
  count({ ...base, type: 'backoff', attempt: 2, code: 'ACME_TIMEOUT', detail: 'd', next_attempt: AT });
  count({ ...base, type: 'removed', reason: 'r' });
  const text = await metrics.registry.metrics();
  assert.match(text, /marathon_acme_orders_total\{result="success",problem_type=""\} 1/);
  assert.match(text, /marathon_acme_orders_total\{result="failure",problem_type="rateLimited"\} 1/);
  assert.match(text, /marathon_acme_orders_total\{result="failure",problem_type="ACME_TIMEOUT"\} 1/);
});

test('the wired bus counts orders and survives a failing subscriber', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const bus = createEventBus(silentLogger(), metrics);
  bus.subscribe(() => {
    throw new Error('a broken journal');
  });
  bus.emit({ type: 'installed', name: 'a.example', at: AT, serial: 's', not_after: AT, issuer: 'u', reason: 'r' });
  assert.match(await metrics.registry.metrics(), /marathon_acme_orders_total\{result="success",problem_type=""\} 1/);
});
