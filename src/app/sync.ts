/**
 * The agents' bundle feed on the daemon (`--sync-listen`): its TLS material, the feed state kept true by
 * the lifecycle events (installed / removed) and by rescans of `certs/` (a change detector, SIGHUP, and a
 * rescan every 5 minutes), and the HTTPS server. A rescan stats every bundle and reads only those whose stat
 * changed since the last one (5,000 stats, not 5,000 reads and hashes, when nothing changed); the first
 * scan and SIGHUP read every file.
 *
 * The change detector: a follower (HA) gets no install events, and inotify does not see another host's
 * writes on a shared volume, so every 2 s the feed stats `certs/` and `default.pem` (two stats, however
 * many bundles) and rescans only when one of them changed. The store writes by rename into `certs/` and
 * removes by rename out of it, and both change the directory's mtime and ctime. A file rewritten in place
 * leaves the directory alone: the 5-minute rescan catches that (its own stat changed).
 *
 * TLS: `--sync-tls-cert/--sync-tls-key`, or `<storage>/sync-tls.pem` (key + self-signed certificate, 0600),
 * created once and never replaced, so the fingerprint agents pin stays the same across restarts. The
 * fingerprint is the SHA-256 of the leaf certificate's DER, shown as upper-case hex pairs joined by colons
 * (`openssl x509 -noout -fingerprint -sha256` prints the same).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { EventBus } from '../events/bus.js';
import { SyncFeed } from '../http/sync/feed.js';
import { SyncServer } from '../http/sync/server.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { selfSignedCert } from '../pki/create-cert.js';
import { splitPemBlocks } from '../pki/pem.js';
import { writeDurable } from '../store/durable.js';
import {
  fileStamp,
  fingerprintOf,
  fingerprintsOf,
  type KnownBundle,
  readOwnBundle,
  readTextOrNull,
  scanKnownBundles,
} from '../store/fingerprints.js';
import type { FileStore } from '../store/index.js';

/**
 * The feed's rescan: `certs/` and `default.pem` into `feed`. It remembers each bundle's fingerprint and
 * stat, so files unchanged since the last rescan are not read again (`asked`: read every file).
 */
function feedRescan(
  store: Pick<FileStore, 'certsDir' | 'defaultPemPath'>,
  feed: SyncFeed,
  logger: Logger,
): (why: { readonly asked: boolean }) => Promise<void> {
  let known = new Map<string, KnownBundle>();
  return async (why) => {
    known = await scanKnownBundles(store.certsDir, known, { reread: why.asked });
    const def = await readTextOrNull(store.defaultPemPath);
    const bundles = fingerprintsOf(known);
    const first = !feed.ready;
    feed.setAll(bundles, def === null ? null : fingerprintOf(def));
    if (first) logger.info({ certificates: bundles.size }, 'sync feed ready: first scan done');
  };
}

/** The first scan waits at most this long for the store's first listing (a storage that cannot be read). */
const FIRST_SCAN_WAIT_MS = 30_000;

/** Resolves once `listed` has, or after FIRST_SCAN_WAIT_MS, or when `signal` aborts; never rejects. */
function firstScanDue(listed: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FIRST_SCAN_WAIT_MS);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    listed.then(done, done);
  });
}

/** How often the change detector stats `certs/` and `default.pem`. */
const POLL_MS = 2_000;
/**
 * A rescan at least this often, whatever the directory's stat says (a file rewritten in place, a missed
 * change). It stats every bundle (about 0.1 s of CPU at 5,000): every 5 minutes keeps an idle daemon's
 * CPU well under 1 %; the 2 s detector covers what the store does (renames in and out).
 */
const RESCAN_MS = 300_000;

export interface RunningFeed {
  readonly fingerprint: string;
  readonly listen: string;
  stop(): Promise<void>;
}

/** The feed's key and certificate, and the certificate's SHA-256 fingerprint (colon-separated hex). */
export async function syncTlsMaterial(
  config: Pick<Config, 'syncTls'>,
  store: Pick<FileStore, 'dir' | 'stagingDir'>,
): Promise<{ keyPem: string; certPem: string; fingerprint: string }> {
  let keyPem: string;
  let certPem: string;
  if (config.syncTls) {
    keyPem = await readFile(config.syncTls.keyFile, 'utf8');
    certPem = await readFile(config.syncTls.certFile, 'utf8');
  } else {
    const path = join(store.dir, 'sync-tls.pem');
    if ((await readTextOrNull(path)) === null) {
      const made = await selfSignedCert({ cn: 'marathon-acme sync', days: 3650, keyType: 'ec256' });
      await writeDurable(store.stagingDir, path, made.keyPem + made.certPem, { mode: 0o600, exclusive: true });
    }
    const blocks = splitPemBlocks(await readFile(path, 'utf8'));
    const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
    const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
    if (!key || certs.length === 0)
      throw new AppError('CONFIG_INVALID', 'sync-tls.pem holds no key and certificate', { details: { file: path } });
    keyPem = key.pem;
    certPem = certs.map((c) => c.pem).join('');
  }
  return { keyPem, certPem, fingerprint: new X509Certificate(certPem).fingerprint256 };
}

/**
 * Listen, subscribe to the events, and scan `certs/` once the store's first listing is done (then watch
 * for changes). Rejects when the feed cannot listen.
 */
export async function startSyncFeed(
  config: Config,
  parts: { store: FileStore; events: EventBus },
  logger: Logger,
): Promise<RunningFeed | undefined> {
  const listen = config.syncListen;
  if (!listen) return undefined;
  const { store, events } = parts;
  const tls = await syncTlsMaterial(config, store);
  const feed = new SyncFeed();
  const rescan = feedRescan(store, feed, logger);
  const poll = new ChangePoll({ paths: [store.certsDir, store.defaultPemPath], rescan, logger });
  await poll.prime();
  // The first scan reads and checks every bundle, as the start-up's adoption does: it waits for that
  // (or FIRST_SCAN_WAIT_MS) so the two do not share the CPU; until it is done the feed answers 503.
  const wait = new AbortController();
  const firstScan = firstScanDue(store.listed, wait.signal).then(() => {
    if (wait.signal.aborted) return;
    poll.request();
    poll.start();
  });
  const unsubscribe = events.subscribe((e) => {
    if (e.type !== 'installed' && e.type !== 'removed') return;
    poll.nudge();
    void readOwnBundle(store.certsDir, e.name).then((text) =>
      feed.update(e.name, text === null ? null : fingerprintOf(text)),
    );
  });
  // SIGHUP re-reads the storage: the feed too (a file changed behind the daemon's back).
  const onHup = (): void => poll.request();
  process.on('SIGHUP', onHup);
  const stopWatching = async (): Promise<void> => {
    process.off('SIGHUP', onHup);
    unsubscribe();
    wait.abort();
    await firstScan;
    await poll.stop();
  };
  const server = buildServer(config, feed, tls, store, logger);
  try {
    await server.listen(listen.port, listen.host);
  } catch (err) {
    await stopWatching();
    throw err;
  }
  const shown = `${listen.host ?? ''}:${listen.port}`;
  logger.info(
    { listen: shown, fingerprint_sha256: tls.fingerprint },
    'sync feed listening: agents pin this fingerprint with --server-fingerprint',
  );
  return {
    fingerprint: tls.fingerprint,
    listen: shown,
    stop: async () => {
      await stopWatching();
      await server.close();
    },
  };
}

function buildServer(
  config: Config,
  feed: SyncFeed,
  tls: { keyPem: string; certPem: string },
  store: FileStore,
  logger: Logger,
): SyncServer {
  return new SyncServer({
    feed,
    tokens: config.apiTokens,
    tls,
    logger,
    reader: {
      readBundles: async (names) => {
        const out = new Map<string, string | null>();
        for (const n of names) out.set(n, feed.fingerprintOf(n) ? await readOwnBundle(store.certsDir, n) : null);
        return out;
      },
      readDefault: () => readTextOrNull(store.defaultPemPath),
    },
  });
}

export interface ChangePollOptions {
  /** The paths whose stat is watched (a directory, a file); an absent path is a state, not an error. */
  readonly paths: readonly string[];
  /** The rescan; never run twice at once. A rejection is logged (once per run of failures) and retried. */
  readonly rescan: (why: { readonly asked: boolean }) => Promise<void>;
  readonly logger: Logger;
  readonly pollMs?: number;
  /** A rescan at least this often even when nothing seems to have changed. */
  readonly fullEveryMs?: number;
  readonly now?: () => number;
  readonly stat?: (path: string) => Promise<string>;
}

/**
 * Polls the stat of a few paths and runs `rescan` when one changed, when `fullEveryMs` passed since the
 * last rescan, or when asked (`request`, SIGHUP). One stat per path per tick; ticks never overlap (the
 * next one is scheduled when the last ends), so neither do rescans.
 *
 * Timestamp granularity: a file system with 1 s (or NFS server-side) mtime resolution can show the same
 * stat before and after a change made in the same granule. So a rescan caused by a change is followed by
 * one more on the next tick, which reads the directory after that granule has passed; the signature also
 * holds the ctime, size, link count and inode, so a replaced `default.pem` differs whatever its times.
 */
export class ChangePoll {
  private last: string | undefined;
  private lastRescan: number;
  private again = false;
  private asked = false;
  private failing: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly statOf: (path: string) => Promise<string>;

  constructor(private readonly o: ChangePollOptions) {
    this.now = o.now ?? Date.now;
    this.statOf = o.stat ?? fileStamp;
    this.lastRescan = this.now();
  }

  /** Record the paths' current stat: call before the initial scan, so a change during it is seen. */
  async prime(): Promise<void> {
    this.last = await this.signature().catch(() => undefined);
    this.lastRescan = this.now();
  }

  /** Tick every `pollMs` until `stop` (the timers are unref'd: they keep no process alive). */
  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule();
  }

  /** Rescan now whatever the stats say (or right after the running tick's rescan, on the next tick). */
  request(): void {
    this.asked = true;
    if (!this.stopped) void this.tick();
  }

  /**
   * A change came by another way (an install event) while a rescan may be reading: one more rescan on
   * the next tick, so a file the running rescan read before its replacement is read again.
   */
  nudge(): void {
    if (this.running) this.again = true;
  }

  /** Stop ticking; resolves once a running tick (and its rescan) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One tick: stat, and rescan if due. Resolves at once when a tick is already running. */
  tick(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.tick().then(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.o.pollMs ?? POLL_MS);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    let sig: string;
    try {
      sig = await this.signature();
    } catch (err) {
      this.last = undefined; // once stat works again, a rescan follows
      return this.failed('stat', err);
    }
    const changed = sig !== this.last;
    const due = this.now() - this.lastRescan >= (this.o.fullEveryMs ?? RESCAN_MS);
    if (!changed && !due && !this.again && !this.asked) return;
    this.last = sig;
    this.again = changed; // the same timestamp granule may hold a change made after this stat
    const asked = this.asked;
    this.asked = false;
    this.lastRescan = this.now();
    try {
      await this.o.rescan({ asked });
    } catch (err) {
      this.again = true; // retried on the next tick, not sooner
      return this.failed('rescan', err);
    }
    if (this.failing !== undefined) this.o.logger.info({ after: this.failing }, 'sync feed rescans work again');
    this.failing = undefined;
  }

  private async signature(): Promise<string> {
    return (await Promise.all(this.o.paths.map((p) => this.statOf(p)))).join('|');
  }

  /** The first failure of a run is a warning, the rest are debug lines: no flood every 2 s. */
  private failed(what: string, err: unknown): void {
    if (this.failing === undefined) this.o.logger.warn({ err, step: what }, 'sync feed rescan failed');
    else this.o.logger.debug({ err, step: what }, 'sync feed rescan failed again');
    this.failing = what;
  }
}
