/**
 * A real HAProxy (Debian's 2.6, /usr/sbin/haproxy) for integration tests, the demo and e2e tests,
 * configured the way marathon-lb serves marathon-acme's storage directory:
 *
 * - master-worker mode (`-W -S <master.sock>`), reloads by SIGUSR2 to the master, like marathon-lb's
 *   Docker image (marathon-api.md §3.2);
 * - HTTPS on a free loopback port: `bind ... ssl crt <dir>/default.pem crt <dir>/certs/` — default.pem
 *   FIRST so it stays the certificate for clients without (or with unknown) SNI (test-environment.md);
 * - HTTP on a free loopback port routing `/.well-known/acme-challenge/` to `acmeBackend` (`host:port`),
 *   as marathon-lb does with marathon-acme's labels;
 * - a stats socket at level admin (runtime API), global maxconn 4096 (the machine's open-file limit
 *   stops HAProxy with marathon-lb's 50,000).
 *
 * Processes: only the master it spawned and the workers it saw are ever signalled, by PID, also on
 * failure and at process exit; its temp directory is removed by `stop()`, at the latest at exit
 * (temp-dirs.ts). Throws (never skips) when haproxy is missing.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { haproxyCommand } from '../../src/notify/haproxy-cli.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

export interface StartHaproxyOptions {
  /** The marathon-acme storage directory (must contain default.pem and certs/). */
  readonly storageDir: string;
  /** `host:port` (or several, comma-separated: round-robin) serving `/.well-known/acme-challenge/`; without it 503. */
  readonly acmeBackend?: string;
  /** Where the config, sockets and pid live; a fresh temp directory by default (removed by `stop()`). */
  readonly workDir?: string;
  readonly httpsPort?: number;
  readonly httpPort?: number;
  /** Extra lines for the `global` section. */
  readonly extraGlobal?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface HaproxyHandle {
  readonly httpsPort: number;
  readonly httpPort: number;
  readonly masterSocket: string;
  readonly statsSocket: string;
  readonly configPath: string;
  /** The crt directory as HAProxy names it (no trailing slash): the implicit crt-list for the runtime API. */
  readonly certsDir: string;
  /** SIGUSR2 to the master; resolves when a new worker serves, rejects if HAProxy refused the config. */
  reload(): Promise<{ readonly ms: number; readonly workers: readonly number[] }>;
  /** The master's PID. */
  pid(): number;
  /** Current (not old) worker PIDs, from `show proc` on the master socket. */
  workerPids(): Promise<number[]>;
  /** Master and worker reload counters from `show proc`. */
  reloadCounters(): Promise<{ reloads: number; failed: number; workers: number[] }>;
  /** Wait until the master has completed a reload after `since` (e.g. one triggered elsewhere); rejects on a failed one. */
  waitForReload(
    since: { reloads: number; failed: number; workers: readonly number[] },
    timeoutMs?: number,
  ): Promise<void>;
  /** `haproxy -c -f <cfg>`: does HAProxy accept the configuration and every certificate now? */
  check(): Promise<{ ok: boolean; output: string }>;
  /** Everything HAProxy printed so far. */
  output(): string;
  /** Stop the master and every worker seen, by PID. Idempotent. */
  stop(): Promise<void>;
}

export { freePort } from './ports.js';
import { freePort } from './ports.js';

export interface HaproxyConfigParams {
  readonly storageDir: string;
  readonly httpsPort: number;
  readonly httpPort: number;
  readonly statsSocket: string;
  readonly acmeBackend?: string;
  readonly extraGlobal?: readonly string[];
}

/** The configuration text (exported so crash tests can `haproxy -c` a directory without running it). */
export function haproxyConfig(p: HaproxyConfigParams): string {
  // Several `host:port`s (comma-separated): round-robin between them, as marathon-lb in front of an HA
  // trio, with a health check on the ping route (a dead or frozen instance is taken out, as Marathon's
  // health checks would) and a retry on another server when a connection fails.
  const backends = (p.acmeBackend ?? '').split(',').map((b) => b.trim());
  const check = backends.length > 1 ? ' check inter 300 fall 2 rise 1' : '';
  const acme = p.acmeBackend
    ? `backend acme\n  balance roundrobin\n${
        backends.length > 1
          ? '  option httpchk GET /.well-known/acme-challenge/ping\n  timeout check 500ms\n  option redispatch 1\n  retries 2\n  retry-on conn-failure empty-response response-timeout\n  timeout server 2s\n'
          : ''
      }${backends.map((b, i) => `  server acme${i === 0 ? '' : i} ${b}${check}\n`).join('')}`
    : `backend acme\n  http-request return status 503 content-type text/plain string "no acme backend"\n`;
  return `global
  maxconn 4096
  stats socket ${p.statsSocket} mode 600 level admin expose-fd listeners
  stats timeout 30s
${(p.extraGlobal ?? []).map((l) => `  ${l}\n`).join('')}
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s

frontend http_in
  bind 127.0.0.1:${p.httpPort}
  acl acme path_beg /.well-known/acme-challenge/
  use_backend acme if acme
  http-request return status 404 content-type text/plain string "not found" if !acme

frontend https_in
  bind 127.0.0.1:${p.httpsPort} ssl crt ${join(p.storageDir, 'default.pem')} crt ${join(p.storageDir, 'certs')}/
  http-request return status 200 content-type text/plain string "tls ok"

${acme}`;
}

/** Run `haproxy -c -f <cfg>`. */
export function checkConfig(configPath: string): Promise<{ ok: boolean; output: string }> {
  assertHaproxyInstalled();
  return new Promise((resolve) => {
    execFile(HAPROXY_BIN, ['-c', '-q', '-f', configPath], (err, stdout, stderr) => {
      resolve({ ok: err === null, output: `${stdout}${stderr}` });
    });
  });
}

function assertHaproxyInstalled(): void {
  if (!existsSync(HAPROXY_BIN))
    throw new Error(`haproxy not found at ${HAPROXY_BIN} (apt-get install haproxy); these tests need a real HAProxy`);
}

const live = new Set<number>();
let exitHookInstalled = false;

/** Last resort: kill what we started if the test process exits without stop(). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killQuietly(pid, 'SIGKILL');
  });
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start HAProxy and wait until the HTTPS port answers and a worker is listed. */
export async function startHaproxy(options: StartHaproxyOptions): Promise<HaproxyHandle> {
  assertHaproxyInstalled();
  installExitHook();
  const ownDir = options.workDir === undefined;
  const workDir = options.workDir ?? makeTempDir('haproxy-');
  const httpsPort = options.httpsPort ?? (await freePort());
  const httpPort = options.httpPort ?? (await freePort());
  const masterSocket = join(workDir, 'master.sock');
  const statsSocket = join(workDir, 'stats.sock');
  const configPath = join(workDir, 'haproxy.cfg');
  const certsDir = join(options.storageDir, 'certs');
  await writeFile(configPath, haproxyConfig({ ...options, httpsPort, httpPort, statsSocket }));

  const child = spawn(HAPROXY_BIN, ['-W', '-S', `${masterSocket},mode,600`, '-f', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const masterPid = child.pid!;
  live.add(masterPid);
  const workersSeen = new Set<number>();
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(masterPid);
      resolve();
    }),
  );

  const showProc = async (): Promise<ProcInfo> => {
    const info = parseShowProc(await haproxyCommand(masterSocket, 'show proc', { timeoutMs: 2000 }));
    for (const w of [...info.workers, ...info.oldWorkers]) {
      workersSeen.add(w);
      live.add(w);
    }
    return info;
  };

  const stop = async (): Promise<void> => {
    if (alive(masterPid) && child.exitCode === null) {
      killQuietly(masterPid, 'SIGTERM');
      await Promise.race([exited, delay(5000)]);
    }
    for (const pid of [masterPid, ...workersSeen]) {
      if (alive(pid)) killQuietly(pid, 'SIGKILL');
      live.delete(pid);
    }
    await Promise.race([exited, delay(2000)]);
    if (ownDir) removeTempDir(workDir);
  };

  try {
    await waitReady(child, showProc, httpsPort, options.startTimeoutMs ?? 10_000, () => out);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    httpsPort,
    httpPort,
    masterSocket,
    statsSocket,
    configPath,
    certsDir,
    pid: () => masterPid,
    workerPids: async () => (await showProc()).workers,
    reloadCounters: async () => {
      const i = await showProc();
      return { reloads: i.reloads, failed: i.failed, workers: i.workers };
    },
    check: () => checkConfig(configPath),
    output: () => out,
    stop,
    reload: () => reloadAndWait(masterPid, showProc, () => out),
    waitForReload: async (since, timeoutMs = 15_000) => {
      await waitForReload(showProc, since, timeoutMs, () => out);
    },
  };
}

async function waitReady(
  child: ChildProcess,
  showProc: () => Promise<ProcInfo>,
  httpsPort: number,
  timeoutMs: number,
  out: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start (code ${child.exitCode}):\n${out()}`);
    try {
      const info = await showProc();
      if (info.workers.length > 0 && (await canConnect(httpsPort))) return;
    } catch {
      /* master socket not there yet */
    }
    if (Date.now() > deadline) throw new Error(`haproxy not ready after ${timeoutMs} ms:\n${out()}`);
    await delay(20);
  }
}

/** SIGUSR2 to the master, then wait for the reload it triggers. */
async function reloadAndWait(
  masterPid: number,
  showProc: () => Promise<ProcInfo>,
  out: () => string,
): Promise<{ ms: number; workers: number[] }> {
  const t0 = performance.now();
  const before = await showProc();
  process.kill(masterPid, 'SIGUSR2');
  const workers = await waitForReload(showProc, before, 15_000, out);
  return { ms: performance.now() - t0, workers };
}

/**
 * Wait until the master completed a reload after `since` (reload counter up, a new worker); resolves
 * with the current workers, rejects when the master counts a failed reload or after `timeoutMs`.
 */
async function waitForReload(
  showProc: () => Promise<ProcInfo>,
  since: { reloads: number; failed: number; workers: readonly number[] },
  timeoutMs: number,
  out: () => string,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await showProc().catch(() => null); // the master re-executes itself during a reload; its socket is briefly gone
    if (info && info.failed > since.failed)
      throw new Error(`haproxy refused the reload:\n${out().split('\n').slice(-12).join('\n')}`);
    if (info && info.reloads > since.reloads && info.workers.some((w) => !since.workers.includes(w)))
      return info.workers;
    if (Date.now() > deadline) throw new Error(`haproxy reload did not complete:\n${out()}`);
    await delay(10);
  }
}

export interface ProcInfo {
  readonly reloads: number;
  readonly failed: number;
  readonly workers: number[];
  readonly oldWorkers: number[];
}

/** Parse `show proc` of the HAProxy 2.6 master CLI. */
export function parseShowProc(text: string): ProcInfo {
  let section = 'master';
  let reloads = -1;
  let failed = 0;
  const workers: number[] = [];
  const oldWorkers: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# workers')) section = 'workers';
    else if (line.startsWith('# old workers')) section = 'old';
    else if (line.startsWith('# programs')) section = 'programs';
    const m = /^(\d+)\s+(master|worker)\s+(\d+)(?:\s+\[failed: (\d+)\])?/.exec(line);
    if (!m) continue;
    if (m[2] === 'master') {
      reloads = Number(m[3]);
      failed = Number(m[4] ?? 0);
    } else if (section === 'workers') workers.push(Number(m[1]));
    else if (section === 'old') oldWorkers.push(Number(m[1]));
  }
  if (reloads < 0) throw new Error(`unexpected show proc output: ${text.slice(0, 200)}`);
  return { reloads, failed, workers, oldWorkers };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
