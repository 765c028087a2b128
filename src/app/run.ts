/**
 * Start-up, signals and shutdown of the composed daemon.
 *
 * Start-up order: storage init (fatal if impossible) → HTTP server (fatal if it cannot listen) →
 * reconciler, sources and the CA account in the background. Nothing waits for Marathon or the CA:
 * their outages show in /health and the logs while work resumes with backoff.
 * Shutdown order (SIGTERM/SIGINT): stop sources and new work → let in-flight writes finish (≤ 10 s) →
 * stop notifier retries → close HTTP. SIGHUP: re-read Marathon and the storage now.
 */
import { tuneHeap } from '../lib/heap.js';
import type { Config } from '../config/config.js';
import { sleep } from '../lib/abort.js';
import type { Logger } from '../lib/logger.js';
import { OWN_FILES_MARGIN, openFileLimits, openFilesSuffice } from '../lib/open-files.js';
import { createMetrics } from '../observe/metrics.js';
import { type App, buildStore, compose, resyncAll } from './compose.js';
import { type RunningFeed, startSyncFeed } from './sync.js';
import { warmUpAccount } from './warm-up.js';

const SHUTDOWN_GRACE_MS = 10_000;

/** Run the daemon until SIGTERM/SIGINT; resolves with the process exit code (1: cannot start). */
export async function run(config: Config, logger: Logger): Promise<number> {
  const startedAt = Date.now();
  const metrics = createMetrics();
  const store = buildStore(config, logger);
  try {
    await store.init();
  } catch (err) {
    logger.fatal({ err, storage_dir: config.storageDir }, 'cannot initialise the storage directory');
    return 1;
  }
  const app = compose(config, logger, metrics, store, startedAt);
  // After the start-up's reading of certs/: a tight heap during that burst only added collections.
  void store.listed.then(() => tuneHeap());
  try {
    await app.http.listen(config.listen.port, config.listen.host);
  } catch (err) {
    // 0.6.1 logged this and exited 0; a supervisor deserves a non-zero status.
    logger.fatal({ err, port: config.listen.port, host: config.listen.host }, 'cannot listen');
    return 1;
  }
  await warnOnLowFileLimit(config.maxConnections, logger);
  let feed: RunningFeed | undefined;
  try {
    feed = await startSyncFeed(config, app, logger);
    if (feed) app.sync.value = { listen: feed.listen, fingerprint_sha256: feed.fingerprint };
  } catch (err) {
    logger.fatal({ err, sync_listen: config.syncListen }, 'cannot serve the sync feed');
    await app.http.close();
    return 1;
  }
  const ac = new AbortController();
  const tasks = startWork(app, logger, ac.signal);
  watchForBugs(logger);
  const signal = await untilStopSignal(app, logger);
  logger.info({ signal }, 'stopping marathon-acme');
  ac.abort();
  await feed?.stop();
  await shutdown(app, tasks, logger);
  return 0;
}

/** The soft open-file limit must leave room for --max-connections (the image's entrypoint raises it). */
async function warnOnLowFileLimit(maxConnections: number, logger: Logger): Promise<void> {
  const limits = await openFileLimits();
  if (limits && !openFilesSuffice(limits.soft, maxConnections))
    logger.warn(
      { soft_limit: limits.soft, hard_limit: limits.hard, max_connections: maxConnections, margin: OWN_FILES_MARGIN },
      'open-file limit below --max-connections: raise it (ulimit -n) or lower --max-connections',
    );
}

/** Start the reconciler, the account warm-up and every source; the promises end once `signal` aborts. */
function startWork(app: App, logger: Logger, signal: AbortSignal): Promise<unknown>[] {
  const tasks: Promise<unknown>[] = [app.reconciler.start(signal)];
  // Every CA's account, each in the background with its own backoff (one CA's outage delays no other).
  // With --zk the accounts are made ready by each leadership term, never by a follower.
  if (!app.election)
    for (const issuer of app.issuers)
      tasks.push(
        warmUpAccount(issuer, app.issuers.length > 1 ? logger.child({ ca: issuer.directoryUrl }) : logger, signal),
      );
  for (const source of app.sources) {
    tasks.push(
      source.run(signal, {
        onSnapshot: (snapshot) => app.reconciler.setSnapshot(source.name, snapshot),
        // The source logs each failed read itself, once, with its cause.
        onError: (err) => logger.debug({ source: source.name, err }, 'source read failed'),
      }),
    );
  }
  return tasks;
}

/**
 * A stray rejection is a bug, but the loops that matter are failure-tolerant: log it loudly and keep
 * answering challenges. A truly uncaught exception leaves unknown state: exit, the supervisor restarts.
 */
function watchForBugs(logger: Logger): void {
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled promise rejection (bug); continuing'),
  );
  process.once('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception (bug); exiting');
    process.exit(1);
  });
}

/** Answer SIGHUP (resync now) until SIGTERM or SIGINT arrives; resolves with that signal's name. */
async function untilStopSignal(app: App, logger: Logger): Promise<string> {
  const onHup = (): void => {
    logger.info({}, 'SIGHUP: resyncing');
    resyncAll(app.sources);
    void app.reconciler.refresh();
  };
  process.on('SIGHUP', onHup);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.off('SIGHUP', onHup);
  return signal;
}

/** After the abort: wait for in-flight work (bounded), stop notifier retries, close HTTP. */
async function shutdown(app: App, tasks: readonly Promise<unknown>[], logger: Logger): Promise<void> {
  const finished = await Promise.race([
    Promise.allSettled(tasks).then(() => true),
    sleep(SHUTDOWN_GRACE_MS - 1000).then(() => false),
  ]);
  if (!finished) logger.error({}, 'shutdown grace exceeded; exiting with work in flight');
  await Promise.race([app.notifier.stop(), sleep(500)]);
  await app.http.close();
  logger.info({}, 'stopped');
}
