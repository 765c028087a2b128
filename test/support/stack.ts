/**
 * The whole system on loopback, as the demo, the e2e test and the e2e benchmark run it:
 * Marathon simulator → marathon-acme (a real child process) → Pebble validating HTTP-01 *through*
 * HAProxy (which routes /.well-known/acme-challenge/ to the daemon) → certificates written to the
 * storage directory → marathon-lb stand-in reloads HAProxy → HAProxy serves them over TLS.
 */
import { FileStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startPebble, type PebbleInstance, type PebbleOptions } from './pebble.js';
import { startHaproxy, freePort, type HaproxyHandle } from './haproxy.js';
import { startMlbStandin, type MlbStandin } from './mlb-standin.js';
import { startMarathonSimulator, type MarathonSimulator } from './marathon-simulator/index.js';
import { startDaemon, type Daemon } from './daemon.js';
import { probeTls, type ServedCert } from './tls-probe.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export interface StackOptions {
  /** Apps the simulator starts with. */
  readonly apps?: readonly unknown[];
  /** Extra daemon flags (e.g. `--remove-after 5`). */
  readonly daemonArgs?: readonly string[];
  readonly pebble?: PebbleOptions;
  /**
   * A second Pebble (its own root and TLS CA), also validating through HAProxy: with `bothCas` (the
   * default when given) the daemon gets `--acme <first>,<second>`; `acme` chooses otherwise.
   */
  readonly secondPebble?: PebbleOptions;
  /** Which Pebbles the daemon's `--acme` lists, in order (default: the first, then the second if any). */
  readonly acme?: readonly ('first' | 'second')[];
  /** Extra environment of the daemon (per-CA settings, RFC2136_* for DNS-01). */
  readonly daemonEnv?: NodeJS.ProcessEnv;
  /** Receives every daemon log line (demo). */
  readonly echo?: (line: string) => void;
  /** Reuse a storage directory (restart tests); a fresh temp directory otherwise, removed by `stop()`. */
  readonly storageDir?: string;
}

export interface Stack {
  readonly storageDir: string;
  readonly pebble: PebbleInstance;
  /** The second Pebble, when `secondPebble` was given. */
  readonly pebble2?: PebbleInstance;
  readonly haproxy: HaproxyHandle;
  readonly mlb: MlbStandin;
  readonly sim: MarathonSimulator;
  daemon: Daemon;
  readonly daemonUrl: string;
  readonly daemonArgs: readonly string[];
  /** What HAProxy serves for `servername`, verified against Pebble's current root. */
  served(servername: string): Promise<ServedCert>;
  /** Poll until HAProxy serves a verified certificate for `servername` covering `names` (and not `notSerial`). */
  waitServed(
    servername: string,
    opts?: { names?: readonly string[]; notSerial?: string; timeoutMs?: number },
  ): Promise<ServedCert>;
  /** Restart the daemon process with the same flags (plus `extraArgs`). */
  restartDaemon(extraArgs?: readonly string[]): Promise<void>;
  /** Restart the daemon with `--acme` listing these Pebbles, in order (the switch between CAs). */
  restartDaemonWithCas(acme: readonly ('first' | 'second')[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const storageDir = opts.storageDir ?? makeTempDir('marathon-acme-');
  const cleanups: Array<() => Promise<unknown>> = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    if (!opts.storageDir) removeTempDir(storageDir);
  };
  try {
    // HAProxy needs default.pem and certs/ before it starts: initialise the layout as the daemon would.
    await new FileStore({ dir: storageDir, logger: silentLogger() }).init();
    const daemonPort = await freePort();
    const haproxy = await startHaproxy({ storageDir, acmeBackend: `127.0.0.1:${daemonPort}` });
    cleanups.push(() => haproxy.stop());
    const mlb = await startMlbStandin({ haproxy });
    cleanups.push(() => mlb.close());
    // Pebble's VA connects to HAProxy's HTTP port, which routes the challenge path to the daemon.
    const pebble = await startPebble({ ...opts.pebble, httpPort: haproxy.httpPort });
    cleanups.push(() => pebble.stop());
    const pebble2 = opts.secondPebble
      ? await startPebble({ ...opts.secondPebble, httpPort: haproxy.httpPort })
      : undefined;
    if (pebble2) cleanups.push(() => pebble2.stop());
    const sim = await startMarathonSimulator({ apps: opts.apps ?? [] });
    cleanups.push(() => sim.stop());
    const byName = { first: pebble, second: pebble2 };
    // --acme and each CA's TLS trust (MARATHON_ACME_ACME_<i>_CA_CERT), for the Pebbles listed.
    const acmeSetup = (acme: readonly ('first' | 'second')[]) => {
      const listed = acme.map((n) => byName[n]!);
      const env: NodeJS.ProcessEnv = { ...opts.daemonEnv };
      for (const [i, p] of listed.entries()) env[`MARATHON_ACME_ACME_${i}_CA_CERT`] = p.caCertPath;
      return { args: ['--acme', listed.map((p) => p.directoryUrl).join(',')], env };
    };
    let acme = acmeSetup(opts.acme ?? (pebble2 ? ['first', 'second'] : ['first']));
    const daemonArgs = [
      '--marathon',
      sim.url,
      '--lb',
      mlb.url,
      '--listen',
      `127.0.0.1:${daemonPort}`,
      '--email',
      'ops@demo.test',
      ...(opts.daemonArgs ?? []),
      storageDir,
    ];
    const spawnDaemon = (extra: readonly string[] = []): Daemon =>
      startDaemon([...extra, ...acme.args, ...daemonArgs], {
        env: acme.env,
        ...(opts.echo ? { echo: opts.echo } : {}),
      });
    const stack: Stack = {
      storageDir,
      pebble,
      ...(pebble2 ? { pebble2 } : {}),
      haproxy,
      mlb,
      sim,
      daemonArgs,
      daemon: spawnDaemon(),
      daemonUrl: `http://127.0.0.1:${daemonPort}`,
      async served(servername) {
        return probeTls(haproxy.httpsPort, { servername, ca: await pebble.rootPem() });
      },
      async waitServed(servername, o = {}) {
        const deadline = Date.now() + (o.timeoutMs ?? 60_000);
        let last: unknown;
        while (Date.now() < deadline) {
          try {
            const c = await stack.served(servername);
            const covers = (o.names ?? [servername]).every((n) => c.altNames.includes(n));
            if (covers && c.serial !== o.notSerial) return c;
            last = `served ${c.subject} [${c.altNames.join(',')}] serial ${c.serial}`;
          } catch (err) {
            last = err;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(
          `HAProxy did not serve a verified certificate for ${servername} in time; last: ${String(last instanceof Error ? last.message : last)}`,
        );
      },
      async restartDaemon(extra = []) {
        await stack.daemon.stop();
        stack.daemon = spawnDaemon(extra);
      },
      async restartDaemonWithCas(list) {
        await stack.daemon.stop();
        acme = acmeSetup(list);
        stack.daemon = spawnDaemon();
      },
      async stop() {
        await stack.daemon.stop();
        await stopAll();
      },
    };
    cleanups.push(() => stack.daemon.stop());
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A Marathon app as the simulator (and Marathon) returns it, on host networking with `ports` service ports. */
export function app(id: string, labels: Record<string, string>, ports = 1): Record<string, unknown> {
  return {
    id,
    cmd: 'sleep 3600',
    instances: 1,
    cpus: 0.1,
    mem: 32,
    labels,
    portDefinitions: Array.from({ length: ports }, (_, i) => ({
      port: 10000 + i,
      protocol: 'tcp',
      name: `p${i}`,
      labels: {},
    })),
  };
}
