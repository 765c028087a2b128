/**
 * A real unbound (Debian's) as a recursive resolver in front of the tests' bind9, with caching off:
 * unlike Pebble 2.4's resolver and an authoritative-only bind9, it follows a CNAME into another zone,
 * as Let's Encrypt's resolvers do (issue 12: the CNAME-delegation case). Each zone is a stub zone
 * pointing at bind9. `stop()` kills exactly the PID it started; its temp directory is removed.
 * Throws (never skips) when unbound is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange } from '../../src/solvers/dns01/transport.js';
import { encodeQuery, TYPE } from '../../src/solvers/dns01/wire.js';
import { freePort } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export const UNBOUND_BIN = '/usr/sbin/unbound';

export interface Unbound {
  readonly port: number;
  readonly address: string;
  stop(): Promise<void>;
}

export async function startUnbound(opts: { upstreamPort: number; zones: readonly string[] }): Promise<Unbound> {
  try {
    accessSync(UNBOUND_BIN, constants.X_OK);
  } catch {
    throw new Error(`${UNBOUND_BIN} is not installed (apt-get install unbound): the CNAME delegation test needs it`);
  }
  const dir = makeTempDir('unbound-');
  const port = await freePort();
  const conf = [
    'server:',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  do-ip6: no',
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  module-config: "iterator"',
    // Caching off: every question goes to bind9, so a value just added or removed is seen at once.
    '  msg-cache-size: 0',
    '  rrset-cache-size: 0',
    '  cache-max-ttl: 0',
    '  cache-max-negative-ttl: 0',
    ...opts.zones.map((z) => `  domain-insecure: "${z}"`),
    // unbound answers `test.` (RFC 6761) itself unless told not to.
    ...[...new Set(opts.zones.map((z) => z.split('.').at(-1)!))].map((tld) => `  local-zone: "${tld}." nodefault`),
    'remote-control:',
    '  control-enable: no',
    ...opts.zones.flatMap((z) => ['stub-zone:', `  name: "${z}"`, `  stub-addr: 127.0.0.1@${opts.upstreamPort}`]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'unbound.conf'), conf);
  let log = '';
  const child: ChildProcess = spawn(UNBOUND_BIN, ['-d', '-c', join(dir, 'unbound.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    removeTempDir(dir);
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`unbound exited with ${child.exitCode}: ${log}`);
    }
    try {
      // unbound answers `localhost.` itself: ready even in front of an upstream that is down.
      await exchange({ host: '127.0.0.1', port }, encodeQuery(1, 'localhost', TYPE.A, true), 300);
      break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`unbound not ready on ${port}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, address: `127.0.0.1:${port}`, stop };
}
