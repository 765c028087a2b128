/**
 * Every Prometheus metric the daemon exports on one registry: its own, prefix `marathon_acme_`, and
 * Node's process metrics under their standard names.
 * Adapters receive this object (optional in their constructors) and never create metrics themselves,
 * so names and labels are defined in exactly one place and documented in docs/operations.md.
 * Label values are bounded: problem types, result words, and certificate names (bounded by the config).
 *
 * Contract: names, labels and help texts are stable (dashboards and alerts use them); a new metric is
 * added to the function of its area below and to docs/operations.md (a test checks both agree).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CertificateFamily, CertificateGauges } from './certificate-gauges.js';

/** The registries a metric registers with (the one registry, as prom-client's option wants it). */
type Registers = Registry[];

/** The state of each certificate the daemon manages, and the removal guard. */
function certificateMetrics(r: Registers) {
  const certificateGauges = new CertificateGauges(r);
  return {
    /** The four per-certificate families; publish with `certificateGauges.update()`, not `set()`. */
    certificateGauges,
    certExpiry: certificateGauges.expiry,
    certRenewal: certificateGauges.renewal,
    certFailures: certificateGauges.failures,
    certBackoffUntil: certificateGauges.backoffUntil,
    certificates: new Gauge({
      name: 'marathon_acme_certificates',
      help: 'Certificates by state',
      labelNames: ['state'],
      registers: r,
    }),
    certificatesByIssuer: new Gauge({
      name: 'marathon_acme_certificates_by_issuer',
      help: "Installed certificates by the ACME directory URL of the CA that issued them ('unknown': adopted from disk)",
      labelNames: ['issuer'],
      registers: r,
    }),
    caReachable: new Gauge({
      name: 'marathon_acme_ca_reachable',
      help: 'Whether each CA of --acme answered its last exchange (1) or not (0), by directory URL',
      labelNames: ['ca'],
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

/** High availability (`--zk`): leadership and the cluster as this instance sees it. */
function clusterMetrics(r: Registers) {
  return {
    leader: new Gauge({
      name: 'marathon_acme_leader',
      help: '1 while this instance leads (talks to the CA, writes certificates), else 0; 1 without --zk',
      registers: r,
    }),
    clusterMembers: new Gauge({
      name: 'marathon_acme_cluster_members',
      help: 'Instances taking part in the leader election, as this instance last read them (1 without --zk)',
      registers: r,
    }),
    instanceInfo: new Gauge({
      name: 'marathon_acme_instance_info',
      help: "Always 1: this instance's --instance-id as a label",
      labelNames: ['instance_id'],
      registers: r,
    }),
  };
}

/**
 * How often the event-loop delay histogram samples (ms). prom-client's default, 10 ms, wakes the
 * process 100 times a second: about 6 ms of CPU per second on an idle daemon (bench/README.md).
 */
export const EVENT_LOOP_RESOLUTION_MS = 100;

/**
 * Node's process metrics under prom-client's standard names (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`, `nodejs_eventloop_lag_seconds`, ...),
 * so standard Node.js dashboards and alerts work unchanged.
 */
function processMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
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
    ...clusterMetrics(r),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The registry in Prometheus text format, as `registry.metrics()` renders it, but with the
 * per-certificate families from their cached text; /metrics serves it in chunks (`renderMetricsChunks`).
 */
export async function renderMetrics(m: Pick<Metrics, 'registry'>): Promise<string> {
  return (await renderMetricsChunks(m)).join('');
}

/** `renderMetrics` in chunks (the cached families are passed on as they are, not joined with the rest). */
export async function renderMetricsChunks(m: Pick<Metrics, 'registry'>): Promise<string[]> {
  const parts = await Promise.all(
    m.registry
      .getMetricsAsArray()
      .map((metric) =>
        metric instanceof CertificateFamily ? metric.text() : m.registry.getSingleMetricAsString(metric.name),
      ),
  );
  const chunks: string[] = [];
  for (const [i, p] of parts.entries()) chunks.push(p, i === parts.length - 1 ? '\n' : '\n\n');
  return chunks.length > 0 ? chunks : ['\n'];
}
