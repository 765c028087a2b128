/**
 * A real ZooKeeper (Debian's 3.8) for integration and e2e tests: one server, or an ensemble of three on
 * loopback, each `java ... QuorumPeerMain zoo.cfg` with `clientPortAddress=127.0.0.1`, no admin server,
 * `4lw.commands.whitelist=ruok,srvr` (test-environment.md). Servers can be stopped (SIGKILL, SIGSTOP)
 * and started again on the same ports and data, to test quorum loss and recovery.
 *
 * Processes: only the JVMs it spawned are signalled, by PID, also at process exit; the temp directory
 * is removed by `stop()`, at the latest at exit. Throws (never skips) when ZooKeeper is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export const ZK_JAR = '/usr/share/java/zookeeper.jar';
const CLASSPATH = ['/etc/zookeeper/conf', ZK_JAR, '/usr/share/java/*'].join(':');

const running = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of running) if (p.pid) process.kill(p.pid, 'SIGKILL');
  });
}

export interface ZkEnsemble {
  /** `host:port` of each server's client port. */
  readonly servers: readonly string[];
  /** `zk://host:port,.../<path>` for `--zk`. */
  url(path: string, auth?: string): string;
  /** SIGKILL server `i` (0-based) and wait for it to exit. */
  kill(i: number): Promise<void>;
  /** Start server `i` again (same ports, same data) and wait until it answers `ruok`. */
  start(i: number): Promise<void>;
  /** SIGSTOP / SIGCONT server `i`: it keeps its sockets but answers nothing (a partition, a GC pause). */
  pause(i: number): void;
  resume(i: number): void;
  /** Server `i`'s role in the ensemble (`leader`, `follower`, `standalone`), or undefined when not serving. */
  mode(i: number): Promise<string | undefined>;
  /** Whether server `i` is serving requests (`srvr` reports a mode). */
  serving(i: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** `echo <cmd> | nc host port` over TCP; resolves with the answer ('' on failure). */
export function fourLetter(hostPort: string, cmd: string): Promise<string> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) });
    let out = '';
    s.on('connect', () => s.end(cmd));
    s.on('data', (d) => {
      out += d.toString();
    });
    s.on('error', () => resolve(''));
    s.on('close', () => resolve(out));
    s.setTimeout(2000, () => s.destroy());
  });
}

/** Start `size` servers (1 or 3) on free loopback ports; resolves once each serves (a quorum formed). */
export async function startZooKeeper(size: 1 | 3 = 1): Promise<ZkEnsemble> {
  if (!existsSync(ZK_JAR)) throw new Error(`ZooKeeper not installed (${ZK_JAR}); apt-get install zookeeper`);
  hookExit();
  const dir = makeTempDir('zk-');
  const ports = await Promise.all(Array.from({ length: size * 3 }, () => freePort()));
  const client = (i: number) => ports[i * 3]!;
  const servers = Array.from({ length: size }, (_, i) => `127.0.0.1:${client(i)}`);
  const procs: Array<ChildProcess | undefined> = [];
  for (let i = 0; i < size; i += 1) {
    const data = join(dir, `s${i + 1}`);
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'myid'), `${i + 1}\n`);
    const lines = [
      'tickTime=500',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${data}`,
      `clientPort=${client(i)}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      'maxSessionTimeout=60000',
      'minSessionTimeout=1000',
    ];
    if (size > 1) {
      for (let j = 0; j < size; j += 1) lines.push(`server.${j + 1}=127.0.0.1:${ports[j * 3 + 1]}:${ports[j * 3 + 2]}`);
    }
    writeFileSync(join(data, 'zoo.cfg'), `${lines.join('\n')}\n`);
  }
  const startOne = (i: number): void => {
    const data = join(dir, `s${i + 1}`);
    const p = spawn(
      'java',
      [
        '-Xmx128m',
        `-Dzookeeper.log.dir=${data}`,
        '-cp',
        CLASSPATH,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        join(data, 'zoo.cfg'),
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    running.add(p);
    p.once('exit', () => running.delete(p));
    procs[i] = p;
  };
  const serving = async (i: number): Promise<boolean> => /Mode: /.test(await fourLetter(servers[i]!, 'srvr'));
  const waitServing = async (i: number): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!(await serving(i))) {
      if (Date.now() > deadline) throw new Error(`ZooKeeper ${servers[i]} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kill = async (i: number): Promise<void> => {
    const p = procs[i];
    procs[i] = undefined;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGCONT');
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };
  for (let i = 0; i < size; i += 1) startOne(i);
  try {
    await Promise.all(servers.map((_, i) => waitServing(i)));
  } catch (err) {
    for (let i = 0; i < size; i += 1) await kill(i);
    throw err;
  }
  return {
    servers,
    url: (path, auth) => `zk://${auth ? `${auth}@` : ''}${servers.join(',')}${path}`,
    kill,
    start: async (i) => {
      startOne(i);
      await waitServing(i);
    },
    serving,
    mode: async (i) => /Mode: (\w+)/.exec(await fourLetter(servers[i]!, 'srvr'))?.[1],
    pause: (i) => procs[i]?.kill('SIGSTOP'),
    resume: (i) => procs[i]?.kill('SIGCONT'),
    stop: async () => {
      for (let i = 0; i < size; i += 1) await kill(i);
      removeTempDir(dir);
    },
  };
}
