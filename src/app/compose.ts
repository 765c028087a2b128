/**
 * The composition root: the only place that builds implementations from the `Config` and wires them
 * together. Nothing here does I/O but reading the CAs' `--acme-ca-cert` files; `run.ts` starts the parts.
 */
import type { AcmeIssuer } from '../acme/index.js';
import { buildRegistry } from './cas.js';
import { type Config, failureBackoff } from '../config/config.js';
import { ZkChallengeStore } from '../cluster/challenge-store.js';
import { Election } from '../cluster/election.js';
import { fencedStore } from '../cluster/fenced-store.js';
import { ZooKeeper } from '../cluster/zk/zookeeper.js';
import type { ChallengeStore, Notifier, Source, Store } from '../domain/contracts.js';
import { checkHealth } from '../http/health.js';
import { DEFAULT_LIMITS, type HttpHandlers, HttpServer } from '../http/server.js';
import { statusJsonChunks, statusReport } from '../http/status.js';
import type { Logger } from '../lib/logger.js';
import { renderMetricsChunks, type Metrics } from '../observe/metrics.js';
import { createEventBus } from '../events/index.js';
import type { EventBus } from '../events/bus.js';
import { Reconciler } from '../reconciler/reconciler.js';
import { MemoryChallengeStore } from '../solvers/memory-challenge-store.js';
import { MarathonSource } from '../sources/marathon/index.js';
import { StaticSource } from '../sources/static/static-source.js';
import { FileStore } from '../store/index.js';
import { VERSION } from '../version.js';
import { buildDns } from './dns.js';
import { ClusterWork, type ReconcilerLike } from './cluster.js';
import { Journal } from '../events/journal.js';
import { ApiDomainsSource } from '../sources/api/api-source.js';
import { apiHandlers } from './api.js';
import { buildNotifier } from './notifier.js';

/** How long after start a missing first snapshot / CA contact is still "starting", not failing. */
export const STARTUP_GRACE_MS = 120_000;

/** The daemon's parts, built and wired, not yet started. */
export interface App {
  readonly store: FileStore;
  /** The most preferred CA's issuer: `issuers[0]`. */
  readonly issuer: AcmeIssuer;
  /** One issuer per CA of `--acme`, in order of preference (acme/registry.ts). */
  readonly issuers: readonly AcmeIssuer[];
  readonly notifier: Notifier;
  readonly sources: readonly Source[];
  /** The reconciler; with `--zk`, the per-term runner that starts one only while this instance leads. */
  readonly reconciler: ReconcilerLike;
  /** With `--zk`: the election (who leads, the fence) over this instance's ZooKeeper session. */
  readonly election?: Election;
  /** Lifecycle events of every certificate: logs and metrics subscribe here, and so can later features. */
  readonly events: EventBus;
  /** The history of each certificate, under <storage>/history/. */
  readonly journal: Journal;
  /** Certificates added through the API (a source beside Marathon and --domains). */
  readonly apiDomains: ApiDomainsSource;
  readonly http: HttpServer;
  /** Set by `run` once the agents' feed listens (`--sync-listen`): shown in /status. */
  readonly sync: { value?: { listen: string; fingerprint_sha256: string } };
}

/** The storage, built first: `run` initialises it before anything else exists. */
export function buildStore(config: Config, logger: Logger): FileStore {
  return new FileStore({ dir: config.storageDir, logger, group: config.storageGroup });
}

/** Build every other part around an initialised `store`. `startedAt` (epoch ms) starts the /health grace. */
export function compose(config: Config, logger: Logger, metrics: Metrics, store: FileStore, startedAt: number): App {
  const cluster = config.zk ? buildCluster(config, logger) : undefined;
  const challenges: ChallengeStore = cluster?.challenges ?? new MemoryChallengeStore();
  // With --zk every write and every signed CA request first asks the election whether we still lead.
  const fence = cluster && ((action: string) => cluster.election.assertLeading(action));
  const writable: Store = fence ? fencedStore(store, fence) : store;
  const dns = buildDns(config.dns, logger);
  const registry = buildRegistry({
    cas: config.cas,
    email: config.email,
    acmeCaCert: config.acmeCaCert,
    store,
    writable,
    challenges,
    dns,
    logger,
    metrics,
    ...(cluster ? { fence: (operation: string) => acmeFence(cluster.election, operation) } : {}),
  });
  const issuer = registry.issuers[0]!;
  const notifier = buildNotifier(config, logger, metrics);
  const apiDomains = new ApiDomainsSource(
    config.storageDir,
    config.allowedDomains,
    logger.child({ component: 'api' }),
    config.dns !== undefined,
  );
  const sources = [...buildSources(config, logger, metrics), apiDomains];
  const events = createEventBus(logger, metrics);
  const journal = new Journal(config.storageDir, logger.child({ component: 'journal' }));
  events.subscribe(journal.record);
  const parts = { events, store: writable, issuer, notifier, logger, metrics, sources, registry };
  const newReconciler = (): Reconciler => buildReconciler(config, parts);
  const reconciler: ReconcilerLike = cluster
    ? new ClusterWork({ election: cluster.election, newReconciler, issuer, issuers: registry.issuers, logger, metrics })
    : newReconciler();
  metrics.instanceInfo.set({ instance_id: config.instanceId }, 1);
  metrics.leader.set(cluster ? 0 : 1);
  metrics.clusterMembers.set(1);
  const app = {
    store,
    issuer,
    issuers: registry.issuers,
    notifier,
    sources,
    reconciler,
    events,
    election: cluster?.election,
    sync: {},
    journal,
    apiDomains,
  };
  const http = new HttpServer(
    httpHandlers(config, app, challenges, metrics, startedAt),
    logger,
    { tokens: config.apiTokens, readAuth: config.apiReadAuth },
    { ...DEFAULT_LIMITS, maxConnections: config.maxConnections },
  );
  return { ...app, http };
}

/** One reconciler (with --zk: one per leadership term) over the parts `compose` built. */
function buildReconciler(
  config: Config,
  p: {
    events: EventBus;
    store: Store;
    issuer: AcmeIssuer;
    notifier: Notifier;
    logger: Logger;
    metrics: Metrics;
    sources: readonly Source[];
    registry: ReturnType<typeof buildRegistry>;
  },
): Reconciler {
  const choices = p.registry.choices();
  return new Reconciler({
    events: p.events,
    store: p.store,
    issuer: p.issuer,
    notifier: p.notifier,
    logger: p.logger,
    metrics: p.metrics,
    sources: p.sources.map((s) => s.name),
    keyType: config.keyType,
    cas: choices,
    removeAfterMs: config.removeAfterMs,
    maxRemovalFraction: config.maxRemovalFraction,
    revokeRemoved: config.revokeRemoved,
    productionCa: choices[0]!.production,
    maxConcurrentOrders: config.maxConcurrentOrders,
    orderBudget: config.orderBudget,
    backoff: failureBackoff(config),
    requestResync: () => resyncAll(p.sources),
  });
}

/** `--zk`: this instance's ZooKeeper session, its candidacy, and the shared HTTP-01 answers. */
function buildCluster(config: Config, logger: Logger): { election: Election; challenges: ChallengeStore } {
  const target = config.zk!;
  const zk = new ZooKeeper({
    servers: target.servers,
    sessionTimeoutMs: config.zkSessionTimeoutMs,
    logger,
    ...(target.auth ? { auth: target.auth } : {}),
  });
  const election = new Election({ zk, path: target.path, instanceId: config.instanceId, logger });
  return { election, challenges: new ZkChallengeStore({ zk, path: target.path, logger }) };
}

/** Ask every source for a fresh reading (SIGHUP, the reconciler's periodic resync). */
export function resyncAll(sources: readonly Source[]): void {
  for (const s of sources) s.resync();
}

/** The sources the configuration asks for: Marathon (unless `--marathon none`), static `--domains`. */
function buildSources(config: Config, logger: Logger, metrics: Metrics): Source[] {
  const sources: Source[] = [];
  if (config.marathon.length > 0) {
    sources.push(
      new MarathonSource({
        urls: config.marathon,
        group: config.group,
        allowMultipleCerts: config.allowMultipleCerts,
        san: config.san,
        allowedDomains: config.allowedDomains,
        allowWildcard: config.dns !== undefined,
        timeoutMs: config.marathonTimeoutMs,
        sseTimeoutMs: config.sseTimeoutMs,
        resyncIntervalMs: config.resyncIntervalMs,
        token: config.marathonToken,
        logger,
        metrics,
      }),
    );
  }
  if (config.domains.length > 0)
    sources.push(
      new StaticSource(
        config.domains,
        config.allowedDomains,
        logger.child({ component: 'static' }),
        config.dns !== undefined,
      ),
    );
  return sources;
}

function httpHandlers(
  config: Config,
  app: Omit<App, 'http'>,
  challenges: ChallengeStore,
  metrics: Metrics,
  startedAt: number,
): HttpHandlers {
  const marathon = app.sources.find((s) => s.name === 'marathon');
  // A snapshot is stale after a few missed resyncs, each of which may take the Marathon timeout.
  const maxAgeMs = 3 * config.resyncIntervalMs + config.marathonTimeoutMs;
  const health = {
    store: app.store,
    issuer: app.issuer,
    issuers: app.issuers,
    marathon: marathon && { source: marathon, maxAgeMs },
    startedAt,
    startupGraceMs: STARTUP_GRACE_MS,
    ...(app.election ? { zookeeper: () => app.election!.health() } : {}),
  };
  const cluster = app.election && (() => app.election!.report());
  return {
    challenge: (token) => challenges.lookup(token),
    health: () => checkHealth(health),
    metrics: async () => {
      app.reconciler.publishMetrics();
      for (const i of app.issuers) {
        const st = i.status();
        metrics.caReachable.set({ ca: st.directoryUrl }, st.reachable ? 1 : 0);
      }
      return { contentType: metrics.registry.contentType, body: await renderMetricsChunks(metrics) };
    },
    status: () => statusReport({ version: VERSION, ...app, ...(cluster ? { cluster } : {}) }),
    statusJson: () => statusJsonChunks({ version: VERSION, ...app, ...(cluster ? { cluster } : {}) }),
    releaseRemovals: () => app.reconciler.releaseRemovals(),
    api: apiHandlers({
      ...app,
      domains: app.apiDomains,
      issuers: app.issuers,
      ...(app.election ? { leadership: () => app.election!.view() } : {}),
    }),
  };
}

/** Operations that start new work at the CA: refused while ZooKeeper is disconnected (`assertMayStart`). */
const STARTS_WORK = new Set(['newOrder', 'newAccount', 'keyChange']);

/** With --zk, the fence before every signed CA request. */
function acmeFence(election: Election, operation: string): void {
  if (STARTS_WORK.has(operation)) election.assertMayStart(`ACME ${operation}`);
  else election.assertLeading(`ACME ${operation}`);
}
