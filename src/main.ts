#!/usr/bin/env node
/**
 * The composition root: the only place that builds implementations and wires them together.
 *
 * Start-up order: parse flags → logger → storage init (fatal if impossible) → HTTP server (fatal if it
 * cannot listen) → reconciler, sources and the CA account in the background. Nothing waits for Marathon
 * or the CA: their outages show in /health and the logs while work resumes with backoff.
 * Shutdown order (SIGTERM/SIGINT): stop sources and new work → let in-flight writes finish (≤ 10 s) →
 * stop notifier retries → close HTTP. SIGHUP: re-read Marathon and the storage now.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { parseCli, helpText, UsageError } from './cli/args.js';
import type { Config } from './config/config.js';
import { LE_PRODUCTION } from './config/config.js';
import type { Notifier, Source } from './domain/contracts.js';
import { AcmeIssuer } from './acme/index.js';
import { FileStore } from './store/index.js';
import { MarathonSource } from './sources/marathon/index.js';
import { StaticSource } from './sources/static/static-source.js';
import { buildNotifier } from './notify/build.js';
import { Reconciler } from './reconciler/reconciler.js';
import { createEventBus } from './events/index.js';
import { FAILURE_BACKOFF } from './domain/policy.js';
import { HttpServer } from './http/server.js';
import { evaluateHealth } from './http/health.js';
import { Http01Solver } from './lib/http01-solver.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics } from './lib/metrics.js';
import { describeError, isAbortError } from './lib/errors.js';
import { sleep } from './lib/abort.js';
import { backoffDelay } from './lib/backoff.js';
import { VERSION } from './version.js';
import { redactUrl } from './lib/urls.js';

const SHUTDOWN_GRACE_MS = 10_000;
const STARTUP_GRACE_MS = 120_000;

/** Run the daemon; resolves with the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`usage: marathon-acme [options] storage-dir\nmarathon-acme: error: ${err.message}\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const w of parsed.warnings) logger.warn({}, w);
  logger.info({ version: VERSION, ...describeConfig(config) }, 'starting marathon-acme');
  try {
    return await run(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'unhandled error, exiting');
    return 1;
  }
}

async function run(config: Config, logger: Logger): Promise<number> {
  const startedAt = Date.now();
  const metrics = createMetrics();
  const store = new FileStore({
    dir: config.storageDir,
    logger,
    ...(config.storageGroup !== undefined ? { group: config.storageGroup } : {}),
  });
  try {
    await store.init();
  } catch (err) {
    logger.fatal({ err, storage_dir: config.storageDir }, 'cannot initialise the storage directory');
    return 1;
  }

  const solver = new Http01Solver();
  const issuer = new AcmeIssuer({
    directoryUrl: config.acme,
    accountKey: { read: () => store.readAccountKey(), write: (pem) => store.writeAccountKey(pem) },
    ...(config.email ? { email: config.email } : {}),
    ...(config.eab ? { eab: config.eab } : {}),
    ...(config.acmeCaCert ? { ca: readFileSync(config.acmeCaCert, 'utf8') } : {}),
    solvers: [solver],
    logger,
    metrics,
  });
  const notifier: Notifier = buildNotifier(config, logger, metrics);

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
        ...(config.marathonToken ? { token: config.marathonToken } : {}),
        logger,
        metrics,
      }),
    );
  }
  if (config.domains.length > 0)
    sources.push(new StaticSource(config.domains, config.allowedDomains, logger.child({ component: 'static' })));

  const reconciler = new Reconciler({
    store,
    issuer,
    notifier,
    logger,
    metrics,
    events: createEventBus(logger, metrics),
    sources: sources.map((s) => s.name),
    keyType: config.keyType,
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.preferredChain ? { preferredChain: config.preferredChain } : {}),
    removeAfterMs: config.removeAfterMs,
    maxRemovalFraction: config.maxRemovalFraction,
    revokeRemoved: config.revokeRemoved,
    productionCa: config.acme === LE_PRODUCTION,
    maxConcurrentOrders: config.maxConcurrentOrders,
    orderBudget: config.orderBudget,
    backoff: { ...FAILURE_BACKOFF, baseMs: config.backoffMinMs, capMs: config.backoffMaxMs },
    requestResync: () => {
      for (const s of sources) s.resync();
    },
  });

  const marathon = sources.find((s) => s.name === 'marathon');
  const http = new HttpServer(
    {
      challenge: (token) => solver.lookup(token),
      health: async () => {
        const storageError = await store.checkWritable().then(
          () => undefined,
          (err: unknown) => describeError(err).message,
        );
        const m = marathon?.status();
        const ca = issuer.status();
        return evaluateHealth({
          now: Date.now(),
          startedAt,
          startupGraceMs: STARTUP_GRACE_MS,
          ...(storageError ? { storageError } : {}),
          ca: { reachable: ca.reachable, ...(ca.lastError ? { lastError: ca.lastError } : {}) },
          ...(m
            ? {
                marathon: {
                  maxAgeMs: 3 * config.resyncIntervalMs + config.marathonTimeoutMs,
                  ...(m.lastSnapshotAt ? { lastSnapshotAt: m.lastSnapshotAt.getTime() } : {}),
                  ...(m.stream ? { stream: m.stream } : {}),
                  ...(m.lastError ? { lastError: m.lastError.message } : {}),
                },
              }
            : {}),
        });
      },
      metrics: async () => {
        reconciler.publishMetrics();
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
      status: () => ({
        version: VERSION,
        sources: Object.fromEntries(sources.map((s) => [s.name, s.status()])),
        ca: issuer.status(),
        ...reconciler.status(),
      }),
      releaseRemovals: () => reconciler.releaseRemovals(),
    },
    logger,
  );
  try {
    await http.listen(config.listen.port, config.listen.host);
  } catch (err) {
    // 0.6.1 logged this and exited 0; a supervisor deserves a non-zero status.
    logger.fatal({ err, port: config.listen.port, host: config.listen.host }, 'cannot listen');
    return 1;
  }

  const ac = new AbortController();
  const tasks: Promise<unknown>[] = [reconciler.start(ac.signal), warmUpAccount(issuer, logger, ac.signal)];
  for (const source of sources) {
    tasks.push(
      source.run(ac.signal, {
        onSnapshot: (snapshot) => reconciler.setSnapshot(source.name, snapshot),
        onError: (err) => logger.warn({ source: source.name, err }, 'source read failed'),
      }),
    );
  }

  // A stray rejection is a bug, but the loops that matter are failure-tolerant: log it loudly and keep
  // answering challenges. A truly uncaught exception leaves unknown state: exit, the supervisor restarts.
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled promise rejection (bug); continuing'),
  );
  process.once('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception (bug); exiting');
    process.exit(1);
  });

  const onHup = (): void => {
    logger.info({}, 'SIGHUP: resyncing');
    for (const s of sources) s.resync();
    void reconciler.refresh();
  };
  process.on('SIGHUP', onHup);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.warn({ signal }, 'stopping marathon-acme');
  process.off('SIGHUP', onHup);
  ac.abort();
  const finished = await Promise.race([
    Promise.allSettled(tasks).then(() => true),
    sleep(SHUTDOWN_GRACE_MS - 1000).then(() => false),
  ]);
  if (!finished) logger.error({}, 'shutdown grace exceeded; exiting with work in flight');
  await Promise.race([notifier.stop(), sleep(500)]);
  await http.close();
  logger.info({}, 'stopped');
  return 0;
}

/**
 * Fetch the directory and find or register the account in the background, with backoff, so the CA's
 * reachability shows in /health early and the first order does not pay for it. Never throws.
 */
async function warmUpAccount(issuer: AcmeIssuer, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await issuer.init(signal);
      const meta = await issuer.directoryMeta(signal);
      logger.info(
        { terms_of_service: meta.termsOfService, profiles: Object.keys(meta.profiles), ari: meta.renewalInfo },
        'ACME account ready',
      );
      return;
    } catch (err) {
      if (signal.aborted && isAbortError(err)) return;
      const retry = backoffDelay({ baseMs: 2000, capMs: 300_000, factor: 2, jitter: 0.3 }, attempt, Math.random());
      logger.warn({ err, attempt, retry_in: Math.round(retry / 1000) }, 'ACME server not reachable');
      await sleep(retry, signal).catch(() => undefined);
    }
  }
}

/** The configuration as logged at start: everything but secrets. */
function describeConfig(c: Config): Record<string, unknown> {
  return {
    storage_dir: c.storageDir,
    acme: c.acme,
    email: c.email ?? null,
    marathon: c.marathon.map(redactUrl),
    lb: c.lb.map(redactUrl),
    group: c.group,
    allow_multiple_certs: c.allowMultipleCerts,
    listen: `${c.listen.host ?? ''}:${c.listen.port}`,
    sse_timeout: c.sseTimeoutMs / 1000,
    marathon_timeout: c.marathonTimeoutMs / 1000,
    san: c.san,
    domains: c.domains,
    allowed_domains: c.allowedDomains,
    key_type: c.keyType,
    profile: c.profile ?? null,
    remove_after: c.removeAfterMs / 1000,
    revoke_removed: c.revokeRemoved,
    max_concurrent_orders: c.maxConcurrentOrders,
    order_budget: c.orderBudget,
    eab: c.eab ? { kid: c.eab.kid } : null,
    haproxy_socket: c.haproxySocket ?? null,
  };
}

const invokedDirectly = (() => {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`marathon-acme: fatal: ${describeError(err).message}\n`);
      process.exit(1);
    },
  );
}
