/**
 * The agents' bundle feed on the daemon (`--sync-listen`): its TLS material, the feed state kept true by
 * the lifecycle events (installed / removed) and a periodic rescan of `certs/`, and the HTTPS server.
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
import { fingerprintOf, readOwnBundle, readTextOrNull, scanFingerprints } from '../store/fingerprints.js';
import type { FileStore } from '../store/index.js';

/** How often `certs/` is rescanned besides the events and SIGHUP (a change made behind the daemon's back). */
const RESCAN_MS = 60_000;

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

/** Scan `certs/`, subscribe to the events, listen. Rejects when the feed cannot listen. */
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
  const rescan = async (): Promise<void> => {
    const bundles = await scanFingerprints(
      store.certsDir,
      new Map(feed.snapshot().certificates.map((c) => [c.name, c.sha256])),
    );
    const def = await readTextOrNull(store.defaultPemPath);
    feed.setAll(bundles, def === null ? null : fingerprintOf(def));
  };
  await rescan();
  const unsubscribe = events.subscribe((e) => {
    if (e.type !== 'installed' && e.type !== 'removed') return;
    void readOwnBundle(store.certsDir, e.name).then((text) =>
      feed.update(e.name, text === null ? null : fingerprintOf(text)),
    );
  });
  const rescanLogged = (): void => {
    rescan().catch((err: unknown) => logger.warn({ err }, 'sync feed rescan failed'));
  };
  const timer = setInterval(rescanLogged, RESCAN_MS);
  timer.unref();
  // SIGHUP re-reads the storage: the feed too (a file changed behind the daemon's back).
  process.on('SIGHUP', rescanLogged);
  const server = buildServer(config, feed, tls, store, logger);
  try {
    await server.listen(listen.port, listen.host);
  } catch (err) {
    clearInterval(timer);
    process.off('SIGHUP', rescanLogged);
    unsubscribe();
    throw err;
  }
  const shown = `${listen.host ?? ''}:${listen.port}`;
  logger.info(
    { listen: shown, fingerprint_sha256: tls.fingerprint, certificates: feed.snapshot().certificates.length },
    'sync feed ready: agents pin this fingerprint with --server-fingerprint',
  );
  return {
    fingerprint: tls.fingerprint,
    listen: shown,
    stop: async () => {
      clearInterval(timer);
      process.off('SIGHUP', rescanLogged);
      unsubscribe();
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
