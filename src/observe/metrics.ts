/**
 * Every Prometheus metric the daemon exports, prefix `marathon_acme_`, on one registry.
 * Adapters receive this object (optional in their constructors) and never create metrics themselves,
 * so names and labels are defined in exactly one place and documented in docs/operations.md.
 * Label values are bounded: problem types, result words, and certificate names (bounded by the config).
 *
 * Contract: names, labels and help texts are stable (dashboards and alerts use them); a new metric is
 * added to the function of its area below and to docs/operations.md (a test checks both agree).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The registries a metric registers with (the one registry, as prom-client's option wants it). */
type Registers = Registry[];

/** The state of each certificate the daemon manages, and the removal guard. */
function certificateMetrics(r: Registers) {
  return {
    certExpiry: new Gauge({
      name: 'marathon_acme_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the installed leaf certificate',
      labelNames: ['domain'],
      registers: r,
    }),
    certRenewal: new Gauge({
      name: 'marathon_acme_certificate_renewal_timestamp_seconds',
      help: 'Planned renewal time of the certificate',
      labelNames: ['domain'],
      registers: r,
    }),
    certFailures: new Gauge({
      name: 'marathon_acme_certificate_consecutive_failures',
      help: 'Consecutive failed attempts for the certificate (0 = healthy)',
      labelNames: ['domain'],
      registers: r,
    }),
    certBackoffUntil: new Gauge({
      name: 'marathon_acme_certificate_backoff_until_timestamp_seconds',
      help: 'No attempt before this time (0 = not backing off)',
      labelNames: ['domain'],
      registers: r,
    }),
    certificates: new Gauge({
      name: 'marathon_acme_certificates',
      help: 'Certificates by state',
      labelNames: ['state'],
      registers: r,
    }),
    removalsHeld: new Gauge({
      name: 'marathon_acme_removals_held',
      help: 'Removals held by the mass-removal guard, waiting for an operator',
      registers: r,
    }),
  };
}

/** Orders at the CA and the latency of its HTTP requests. */
function orderMetrics(r: Registers) {
  return {
    orders: new Counter({
      name: 'marathon_acme_orders_total',
      help: 'Certificate orders by result and ACME problem type',
      labelNames: ['result', 'problem_type'],
      registers: r,
    }),
    acmeRequestDuration: new Histogram({
      name: 'marathon_acme_acme_request_duration_seconds',
      help: 'ACME HTTP request latency',
      labelNames: ['operation', 'status'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
  };
}

/** Reading the desired state: Marathon snapshots, its event stream, rejected labels. */
function marathonMetrics(r: Registers) {
  return {
    marathonSnapshotDuration: new Histogram({
      name: 'marathon_acme_marathon_snapshot_duration_seconds',
      help: 'Time to fetch and translate /v2/apps',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    marathonSnapshots: new Counter({
      name: 'marathon_acme_marathon_snapshots_total',
      help: 'Marathon snapshots by result',
      labelNames: ['result'],
      registers: r,
    }),
    eventStreamConnected: new Gauge({
      name: 'marathon_acme_event_stream_connected',
      help: '1 when the Marathon event stream is connected',
      registers: r,
    }),
    labelProblems: new Gauge({
      name: 'marathon_acme_label_problems',
      help: 'Rejected labels/apps in the last snapshot, by code',
      labelNames: ['code'],
      registers: r,
    }),
    lastSnapshotTimestamp: new Gauge({
      name: 'marathon_acme_last_snapshot_timestamp_seconds',
      help: 'Time of the last successful snapshot',
      labelNames: ['source'],
      registers: r,
    }),
  };
}

/** Telling the load balancers (and hooks) about new certificates. */
function notifyMetrics(r: Registers) {
  return {
    lbSignals: new Counter({
      name: 'marathon_acme_lb_signals_total',
      help: 'Load balancer notifications by notifier and result',
      labelNames: ['notifier', 'result'],
      registers: r,
    }),
  };
}

/** Node's process metrics (CPU, memory, event loop lag, ...), prefix `marathon_acme_process_`. */
function processMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'marathon_acme_process_' });
}

/** A fresh registry holding every metric; `defaultMetrics: false` leaves out the process metrics (tests). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) processMetrics(registry);
  const r = [registry];
  return {
    registry,
    ...certificateMetrics(r),
    ...orderMetrics(r),
    ...marathonMetrics(r),
    ...notifyMetrics(r),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
