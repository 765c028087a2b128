/**
 * The composition root: the only place that builds implementations from the `Config` and wires them
 * together. Nothing here does I/O but reading the `--acme-ca-cert` file; `run.ts` starts the parts.
 */
import { readFileSync } from 'node:fs';
import { AcmeIssuer } from '../acme/index.js';
import { type Config, failureBackoff, LE_PRODUCTION } from '../config/config.js';
import { ZkChallengeStore } from '../cluster/challenge-store.js';
import { Election } from '../cluster/election.js';
import { fencedStore } from '../cluster/fenced-store.js';
import { ZooKeeper } from '../cluster/zk/zookeeper.js';
import type { ChallengeStore, Notifier, Source, Store } from '../domain/contracts.js';
import { checkHealth } from '../http/health.js';
import { type HttpHandlers, HttpServer } from '../http/server.js';
import { statusReport } from '../http/status.js';
import type { Logger } from '../lib/logger.js';
import { renderMetrics, type Metrics } from '../observe/metrics.js';
import { createEventBus } from '../events/index.js';
import type { EventBus } from '../events/bus.js';
import { Reconciler } from '../reconciler/reconciler.js';
import { Http01Solver } from '../solvers/http01.js';
import { MemoryChallengeStore } from '../solvers/memory-challenge-store.js';
import { MarathonSource } from '../sources/marathon/index.js';
import { StaticSource } from '../sources/static/static-source.js';
import { FileStore } from '../store/index.js';
import { VERSION } from '../version.js';
import { ClusterWork, type ReconcilerLike } from './cluster.js';
import { buildNotifier } from './notifier.js';

/** How long after start a missing first snapshot / CA contact is still "starting", not failing. */
export const STARTUP_GRACE_MS = 120_000;

/** The daemon's parts, built and wired, not yet started. */
export interface App {
  readonly store: FileStore;
  readonly issuer: AcmeIssuer;
  readonly notifier: Notifier;
  readonly sources: readonly Source[];
  /** The reconciler; with `--zk`, the per-term runner that starts one only while this instance leads. */
  readonly reconciler: ReconcilerLike;
  /** With `--zk`: the election (who leads, the fence) over this instance's ZooKeeper session. */
  readonly election?: Election;
  /** Lifecycle events of every certificate: logs and metrics subscribe here, and so can later features. */
  readonly events: EventBus;
  readonly http: HttpServer;
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
  const issuer = new AcmeIssuer({
    directoryUrl: config.acme,
    accountKey: { read: () => store.readAccountKey(), write: (pem) => writable.writeAccountKey(pem) },
    email: config.email,
    eab: config.eab,
    ca: config.acmeCaCert ? readFileSync(config.acmeCaCert, 'utf8') : undefined,
    solvers: [new Http01Solver(challenges)],
    logger,
    metrics,
    ...(fence ? { fence: (operation: string) => fence(`ACME ${operation}`) } : {}),
  });
  const notifier = buildNotifier(config, logger, metrics);
  const sources = buildSources(config, logger, metrics);
  const events = createEventBus(logger, metrics);
  const newReconciler = (): Reconciler =>
    new Reconciler({
      events,
      store: writable,
      issuer,
      notifier,
      logger,
      metrics,
      sources: sources.map((s) => s.name),
      keyType: config.keyType,
      profile: config.profile,
      preferredChain: config.preferredChain,
      removeAfterMs: config.removeAfterMs,
      maxRemovalFraction: config.maxRemovalFraction,
      revokeRemoved: config.revokeRemoved,
      productionCa: config.acme === LE_PRODUCTION,
      maxConcurrentOrders: config.maxConcurrentOrders,
      orderBudget: config.orderBudget,
      backoff: failureBackoff(config),
      requestResync: () => resyncAll(sources),
    });
  const reconciler: ReconcilerLike = cluster
    ? new ClusterWork({ election: cluster.election, newReconciler, issuer, logger, metrics })
    : newReconciler();
  metrics.instanceInfo.set({ instance_id: config.instanceId }, 1);
  metrics.leader.set(cluster ? 0 : 1);
  metrics.clusterMembers.set(1);
  const app = { store, issuer, notifier, sources, reconciler, events, election: cluster?.election };
  const http = new HttpServer(httpHandlers(config, app, challenges, metrics, startedAt), logger);
  return { ...app, http };
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
    sources.push(new StaticSource(config.domains, config.allowedDomains, logger.child({ component: 'static' })));
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
      return { contentType: metrics.registry.contentType, body: await renderMetrics(metrics) };
    },
    status: () => statusReport({ version: VERSION, ...app, ...(cluster ? { cluster } : {}) }),
    releaseRemovals: () => app.reconciler.releaseRemovals(),
  };
}
