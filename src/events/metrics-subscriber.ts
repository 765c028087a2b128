/**
 * The order metrics, counted from the events: `marathon_acme_orders_total` by result and problem type
 * (an installation is a successful order; a backoff is a failed one, labelled by its ACME problem type,
 * else its error code). Certificate gauges stay computed from the status when /metrics is scraped.
 */
import type { Metrics } from '../observe/metrics.js';
import type { Subscriber } from './bus.js';

export function metricsSubscriber(metrics: Metrics): Subscriber {
  return (e) => {
    if (e.type === 'installed') metrics.orders.inc({ result: 'success', problem_type: '' });
    else if (e.type === 'backoff') metrics.orders.inc({ result: 'failure', problem_type: e.problem_type ?? e.code });
  };
}
