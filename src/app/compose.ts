/**
 * The composition root: the only place that builds implementations from the `Config` and wires them
 * together. Nothing here does I/O but reading the `--acme-ca-cert` file; `run.ts` starts the parts.
 */
import { readFileSync } from 'node:fs';
import { AcmeIssuer } from '../acme/index.js';
import { type Config, failureBackoff, LE_PRODUCTION } from '../config/config.js';
import type { ChallengeStore, Notifier, Source } from '../domain/contracts.js';
import { checkHealth } from '../http/health.js';
import { DEFAULT_LIMITS, type HttpHandlers, HttpServer } from '../http/server.js';
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
import { Journal } from '../events/journal.js';
import { ApiDomainsSource } from '../sources/api/api-source.js';
import { apiHandlers } from './api.js';
import { buildNotifier } from './notifier.js';

/** How long after start a missing first snapshot / CA contact is still "starting", not failing. */
export const STARTUP_GRACE_MS = 120_000;

/** The daemon's parts, built and wired, not yet started. */
export interface App {
  readonly store: FileStore;
  readonly issuer: AcmeIssuer;
  readonly notifier: Notifier;
  readonly sources: readonly Source[];
  readonly reconciler: Reconciler;
  /** Lifecycle events of every certificate: logs and metrics subscribe here, and so can later features. */
  readonly events: EventBus;
  /** The history of each certificate, under <storage>/history/. */
  readonly journal: Journal;
  /** Certificates added through the API (a source beside Marathon and --domains). */
  readonly apiDomains: ApiDomainsSource;
  readonly http: HttpServer;
}

/** The storage, built first: `run` initialises it before anything else exists. */
export function buildStore(config: Config, logger: Logger): FileStore {
  return new FileStore({ dir: config.storageDir, logger, group: config.storageGroup });
}

/** Build every other part around an initialised `store`. `startedAt` (epoch ms) starts the /health grace. */
export function compose(config: Config, logger: Logger, metrics: Metrics, store: FileStore, startedAt: number): App {
  const challenges: ChallengeStore = new MemoryChallengeStore();
  const issuer = new AcmeIssuer({
    directoryUrl: config.acme,
    accountKey: { read: () => store.readAccountKey(), write: (pem) => store.writeAccountKey(pem) },
    email: config.email,
    eab: config.eab,
    ca: config.acmeCaCert ? readFileSync(config.acmeCaCert, 'utf8') : undefined,
    solvers: [new Http01Solver(challenges)],
    logger,
    metrics,
  });
  const notifier = buildNotifier(config, logger, metrics);
  const apiDomains = new ApiDomainsSource(config.storageDir, config.allowedDomains, logger.child({ component: 'api' }));
  const sources = [...buildSources(config, logger, metrics), apiDomains];
  const events = createEventBus(logger, metrics);
  const journal = new Journal(config.storageDir, logger.child({ component: 'journal' }));
  events.subscribe(journal.record);
  const reconciler = new Reconciler({
    events,
    store,
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
  const app = { store, issuer, notifier, sources, reconciler, events, journal, apiDomains };
  const http = new HttpServer(
    httpHandlers(config, app, challenges, metrics, startedAt),
    logger,
    { tokens: config.apiTokens, readAuth: config.apiReadAuth },
    { ...DEFAULT_LIMITS, maxConnections: config.maxConnections },
  );
  return { ...app, http };
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
  };
  return {
    challenge: (token) => challenges.lookup(token),
    health: () => checkHealth(health),
    metrics: async () => {
      app.reconciler.publishMetrics();
      return { contentType: metrics.registry.contentType, body: await renderMetrics(metrics) };
    },
    status: () => statusReport({ version: VERSION, ...app }),
    releaseRemovals: () => app.reconciler.releaseRemovals(),
    api: apiHandlers({ ...app, domains: app.apiDomains }),
  };
}
