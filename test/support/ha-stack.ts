/**
 * The high-availability stack on loopback, for the HA e2e test and the failover benchmark: a real
 * ZooKeeper, N marathon-acme processes with the same flags and storage (`--zk`), HAProxy round-robining
 * the challenge path across all of them (so followers must answer HTTP-01), Pebble validating through
 * HAProxy, the Marathon simulator and the marathon-lb stand-in.
 *
 * Processes: every one is started here and stopped by `stop()` by PID (killed instances too).
 */
import { silentLogger } from '../../src/lib/logger.js';
import { FileStore } from '../../src/store/index.js';
import { type Daemon, startDaemon } from './daemon.js';
import { freePort, type HaproxyHandle, startHaproxy } from './haproxy.js';
import { type MarathonSimulator, startMarathonSimulator } from './marathon-simulator/index.js';
import { type MlbStandin, startMlbStandin } from './mlb-standin.js';
import { type PebbleInstance, type PebbleOptions, startPebble } from './pebble.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { probeTls, type ServedCert } from './tls-probe.js';
import { startZooKeeper, type ZkEnsemble } from './zookeeper.js';

export interface HaInstance {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  daemon: Daemon;
}

export interface ClusterStatus {
  readonly cluster: { leader: string | null; members: string[]; self: string; since: string; leading: boolean };
  readonly certificates: Array<{ name: string; state: string }>;
}

export interface HaStack {
  readonly storageDir: string;
  readonly zk: ZkEnsemble;
  readonly pebble: PebbleInstance;
  readonly haproxy: HaproxyHandle;
  readonly mlb: MlbStandin;
  readonly sim: MarathonSimulator;
  readonly instances: HaInstance[];
  /** /status of instance i (undefined when it does not answer). */
  status(i: number): Promise<ClusterStatus | undefined>;
  /** The index of the instance that says it leads (and that the others agree on), waiting up to `timeoutMs`. */
  leader(timeoutMs?: number, among?: readonly number[]): Promise<number>;
  /** Start instance i again (after a stop or kill), same flags. */
  restart(i: number): void;
  waitServed(servername: string, timeoutMs?: number): Promise<ServedCert>;
  /** New orders Pebble accepted so far (from its log). */
  newOrders(): number;
  stop(): Promise<void>;
}

export interface HaStackOptions {
  readonly size?: number;
  readonly apps?: readonly unknown[];
  readonly sessionTimeout?: number;
  readonly daemonArgs?: readonly string[];
  readonly pebble?: PebbleOptions;
  /** ZooKeeper servers: 1 (default) or a 3-server ensemble for the quorum cases. */
  readonly zkSize?: 1 | 3;
}

export async function startHaStack(opts: HaStackOptions = {}): Promise<HaStack> {
  const storageDir = makeTempDir('marathon-acme-ha-');
  const cleanups: Array<() => Promise<unknown>> = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    removeTempDir(storageDir);
  };
  try {
    await new FileStore({ dir: storageDir, logger: silentLogger() }).init();
    const zk = await startZooKeeper(opts.zkSize ?? 1);
    cleanups.push(() => zk.stop());
    const ports = await Promise.all(Array.from({ length: opts.size ?? 3 }, () => freePort()));
    const haproxy = await startHaproxy({ storageDir, acmeBackend: ports.map((p) => `127.0.0.1:${p}`).join(',') });
    cleanups.push(() => haproxy.stop());
    const mlb = await startMlbStandin({ haproxy });
    cleanups.push(() => mlb.close());
    const pebble = await startPebble({ ...opts.pebble, httpPort: haproxy.httpPort });
    cleanups.push(() => pebble.stop());
    const sim = await startMarathonSimulator({ apps: opts.apps ?? [] });
    cleanups.push(() => sim.stop());
    const args = (i: number): string[] => [
      ...['--acme', pebble.directoryUrl, '--acme-ca-cert', pebble.caCertPath, '--marathon', sim.url, '--lb', mlb.url],
      ...['--listen', `127.0.0.1:${ports[i]}`, '--email', 'ops@ha.test', '--instance-id', `i${i}`],
      ...['--zk', zk.url('/marathon-acme'), '--zk-session-timeout', String(opts.sessionTimeout ?? 4)],
      ...(opts.daemonArgs ?? []),
      storageDir,
    ];
    const instances: HaInstance[] = ports.map((port, i) => ({
      id: `i${i}`,
      port,
      url: `http://127.0.0.1:${port}`,
      daemon: startDaemon(args(i)),
    }));
    cleanups.push(async () => {
      for (const inst of instances) {
        try {
          process.kill(inst.daemon.pid, 'SIGCONT');
        } catch {}
        await inst.daemon.stop();
      }
    });
    const stack: HaStack = {
      storageDir,
      zk,
      pebble,
      haproxy,
      mlb,
      sim,
      instances,
      status: (i) => statusOf(instances[i]!.url),
      leader: (timeoutMs = 30_000, among) => findLeader(stack, timeoutMs, among),
      restart: (i) => {
        instances[i]!.daemon = startDaemon(args(i));
      },
      async waitServed(servername, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        let last: unknown;
        while (Date.now() < deadline) {
          try {
            const c = await probeTls(haproxy.httpsPort, { servername, ca: await pebble.rootPem() });
            if (c.authorized && c.altNames.includes(servername)) return c;
            last = `served ${c.subject}`;
          } catch (err) {
            last = err;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`HAProxy did not serve ${servername} in time; last: ${String(last)}`);
      },
      newOrders: () => countNewOrders(pebble.log()),
      stop: stopAll,
    };
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function statusOf(url: string): Promise<ClusterStatus | undefined> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as ClusterStatus) : undefined;
  } catch {
    return undefined;
  }
}

async function findLeader(stack: HaStack, timeoutMs: number, among?: readonly number[]): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const candidates = among ?? stack.instances.map((_, i) => i);
  for (;;) {
    const statuses = await Promise.all(candidates.map((i) => stack.status(i)));
    const leading = candidates.filter((_, k) => statuses[k]?.cluster.leading);
    if (leading.length === 1) return leading[0]!;
    if (Date.now() > deadline)
      throw new Error(`no single leader after ${timeoutMs} ms (leading: ${leading.join(',')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** New orders Pebble accepted (`Added order "<id>" to the db`: one per accepted newOrder; it names no identifiers). */
export function countNewOrders(log: string): number {
  return log.match(/Added order "[^"]+" to the db/g)?.length ?? 0;
}
