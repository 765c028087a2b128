/**
 * Starts a real Pebble (Debian `pebble` 2.4) and `pebble-challtestsrv` on free loopback ports, for
 * integration tests and benchmarks.
 *
 * - A fresh test CA + localhost/127.0.0.1 certificate (openssl) serves Pebble's TLS; trust `caPem`.
 * - challtestsrv answers every A query with 127.0.0.1 (no AAAA); its HTTP-01/TLS-ALPN/HTTPS responders
 *   are disabled and its management API moved to a free port, so they take none of the ports we need.
 * - `PEBBLE_VA_NOSLEEP=1`; Pebble's default 5% badNonce injection stays on unless `env` overrides it.
 * - Throws when the binaries are missing (tests then FAIL, they never skip).
 * - `stop()` kills exactly the PIDs it started (also registered for process exit) and removes the temp dir
 *   (at the latest at process exit, also on Ctrl-C: temp-dirs.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { join } from 'node:path';
import { makeTestTls } from './test-ca.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export const PEBBLE_BIN = '/usr/bin/pebble';
export const CHALLTESTSRV_BIN = '/usr/bin/pebble-challtestsrv';

export interface PebbleOptions {
  /** Port Pebble's VA connects to for HTTP-01 (default: a free port; serve your answers there). */
  httpPort?: number;
  /** Certificate validity in seconds (Pebble's `certificateValidityPeriod`). */
  certificateValidityPeriod?: number;
  /** EAB: require it, with these kid → base64url MAC keys. */
  eab?: Record<string, string>;
  /** Names Pebble refuses to issue for (`rejectedIdentifier` on newOrder). */
  domainBlocklist?: string[];
  /** Extra environment (PEBBLE_WFE_NONCEREJECT, PEBBLE_VA_ALWAYS_VALID, PEBBLE_AUTHZREUSE, ...). */
  env?: Record<string, string>;
  /** Readiness budget (default 15 s). */
  startTimeoutMs?: number;
  /** Pebble's `-dnsserver` (host:port), e.g. a bind9 for DNS-01; absent: a challtestsrv answering 127.0.0.1. */
  dnsServer?: string;
}

export interface PebbleInstance {
  directoryUrl: string;
  /** PEM of the CA that signed Pebble's TLS certificate: pass as the client's `ca`. */
  caPem: string;
  caCertPath: string;
  managementUrl: string;
  httpPort: number;
  /** Pebble's current issuing root (`/roots/0`; regenerated at each start). */
  rootPem(): Promise<string>;
  /** Intermediate (`/intermediates/0`). */
  intermediatePem(): Promise<string>;
  /** Stop Pebble itself (an outage): connections to its ports are refused until `resume()`. */
  pause(): Promise<void>;
  /**
   * Start Pebble again on the same ports with the same TLS certificate. Like a real Pebble restart,
   * its state is new: accounts are gone (clients must register again) and the root is regenerated.
   */
  resume(): Promise<void>;
  /** GET a management path (e.g. `/cert-status-by-serial/<hex>`): status and body. */
  management(path: string): Promise<{ status: number; body: string }>;
  /** Make challtestsrv answer A queries for `host` with `ip` (e.g. a loopback address nothing listens on). */
  addARecord(host: string, ip: string): Promise<void>;
  /**
   * Point `host` at `address` in challtestsrv's DNS (Pebble's resolver): e.g. 127.0.0.2, where nothing
   * listens, makes HTTP-01 for that name fail with a connection refused (a certificate made to fail).
   */
  addA(host: string, address: string): Promise<void>;
  /** Certificates Pebble issued since it was first started (across pause/resume), from its own log. */
  issuedCount(): number;
  /**
   * Resolve `host` (challtestsrv's mock DNS) to 127.0.0.2, where nothing listens: Pebble's HTTP-01
   * validation of it is refused, as for a name whose challenge route leads nowhere.
   */
  routeNowhere(host: string): Promise<void>;
  /** Pebble's whole log so far (every request it answered). */
  log(): string;
  stop(): Promise<void>;
}

export { freePort } from './ports.js';
import { freePort } from './ports.js';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live)
        if (c.pid !== undefined && c.exitCode === null)
          try {
            process.kill(c.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
    });
  }
}

function assertInstalled(bin: string): void {
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`${bin} is not installed (apt-get install pebble): integration tests need it`);
  }
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ca, agent: false, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitReady(
  url: string,
  ca: string,
  child: ChildProcess,
  name: string,
  stderr: () => string,
  deadline: number,
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr()}`);
    try {
      const res = await httpsGet(url, ca);
      if (res.status < 500) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready at ${url}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Spawn with output going to a log file in the temp dir (Pebble logs every request: piping that through
 * this process would cost it CPU and memory). `output()` reads the tail, for error messages.
 */
function spawnTracked(
  bin: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  logName: string,
): { child: ChildProcess; output: () => string } {
  const logPath = join(cwd, logName);
  // Appended, so a resumed Pebble's log follows the first one's (issuedCount counts across restarts).
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { cwd, env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  track(child);
  return {
    child,
    output: () => {
      try {
        return readFileSync(logPath, 'utf8').slice(-4000);
      } catch {
        return '';
      }
    },
  };
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000);
  await exited;
  clearTimeout(t);
}

/** Start Pebble + challtestsrv and wait until Pebble's directory answers. */
export async function startPebble(opts: PebbleOptions = {}): Promise<PebbleInstance> {
  assertInstalled(PEBBLE_BIN);
  assertInstalled(CHALLTESTSRV_BIN);
  const dir = makeTempDir('pebble-');
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(killAndWait));
    removeTempDir(dir);
  };
  try {
    const tls = makeTestTls(dir);
    const [listen, mgmt, tlsPort, dnsPort, ctsMgmt] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const httpPort = opts.httpPort ?? (await freePort());
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: tls.certPath,
        privateKey: tls.keyPath,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: opts.eab !== undefined,
        ...(opts.eab ? { externalAccountMACKeys: opts.eab } : {}),
        ...(opts.certificateValidityPeriod ? { certificateValidityPeriod: opts.certificateValidityPeriod } : {}),
        ...(opts.domainBlocklist ? { domainBlocklist: opts.domainBlocklist } : {}),
      },
    };
    writeFileSync(join(dir, 'pebble-config.json'), JSON.stringify(config, null, 2));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);

    if (opts.dnsServer === undefined) {
      const cts = spawnTracked(
        CHALLTESTSRV_BIN,
        [
          '-dns01',
          `127.0.0.1:${dnsPort}`,
          '-http01',
          '',
          '-https01',
          '',
          '-tlsalpn01',
          '',
          '-management',
          `127.0.0.1:${ctsMgmt}`,
          '-defaultIPv4',
          '127.0.0.1',
          '-defaultIPv6',
          '',
        ],
        dir,
        { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        'challtestsrv.log',
      );
      children.push(cts.child);
      await waitReady(
        `http://127.0.0.1:${ctsMgmt}/`,
        tls.caPem,
        cts.child,
        'pebble-challtestsrv',
        cts.output,
        deadline,
      );
    }
    const dnsServer = opts.dnsServer ?? `127.0.0.1:${dnsPort}`;

    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', PEBBLE_VA_NOSLEEP: '1', ...opts.env };
    const directoryUrl = `https://127.0.0.1:${listen}/dir`;
    const startPebbleProcess = async (until: number): Promise<ChildProcess> => {
      const peb = spawnTracked(
        PEBBLE_BIN,
        ['-config', join(dir, 'pebble-config.json'), '-dnsserver', dnsServer],
        dir,
        env,
        'pebble.log',
      );
      children.push(peb.child);
      await waitReady(directoryUrl, tls.caPem, peb.child, 'pebble', peb.output, until);
      return peb.child;
    };
    let pebbleChild: ChildProcess | undefined = await startPebbleProcess(deadline);

    const managementUrl = `https://127.0.0.1:${mgmt}`;
    const management = (path: string): Promise<{ status: number; body: string }> =>
      httpsGet(`${managementUrl}${path}`, tls.caPem);
    const pem = async (path: string): Promise<string> => {
      const res = await management(path);
      if (res.status !== 200) throw new Error(`pebble management ${path}: HTTP ${res.status}`);
      return res.body;
    };
    return {
      directoryUrl,
      caPem: tls.caPem,
      caCertPath: tls.caCertPath,
      managementUrl,
      httpPort,
      rootPem: () => pem('/roots/0'),
      intermediatePem: () => pem('/intermediates/0'),
      management,
      async addARecord(host, ip) {
        const res = await fetch(`http://127.0.0.1:${ctsMgmt}/add-a`, {
          method: 'POST',
          body: JSON.stringify({ host: host.endsWith('.') ? host : `${host}.`, addresses: [ip] }),
        });
        if (!res.ok) throw new Error(`challtestsrv add-a: HTTP ${res.status}`);
      },
      async addA(host, address) {
        const res = await fetch(`http://127.0.0.1:${ctsMgmt}/add-a`, {
          method: 'POST',
          body: JSON.stringify({ host: host.endsWith('.') ? host : `${host}.`, addresses: [address] }),
        });
        if (!res.ok) throw new Error(`challtestsrv add-a ${host}: HTTP ${res.status}`);
      },
      issuedCount() {
        try {
          return readFileSync(join(dir, 'pebble.log'), 'utf8').match(/Issued certificate serial/g)?.length ?? 0;
        } catch {
          return 0;
        }
      },
      async routeNowhere(host) {
        const res = await fetch(`http://127.0.0.1:${ctsMgmt}/add-a`, {
          method: 'POST',
          body: JSON.stringify({ host, addresses: ['127.0.0.2'] }),
        });
        if (!res.ok) throw new Error(`pebble-challtestsrv add-a ${host}: HTTP ${res.status}`);
      },
      log() {
        try {
          return readFileSync(join(dir, 'pebble.log'), 'utf8');
        } catch {
          return '';
        }
      },
      async pause() {
        if (pebbleChild) await killAndWait(pebbleChild);
        pebbleChild = undefined;
      },
      async resume() {
        if (!pebbleChild) pebbleChild = await startPebbleProcess(Date.now() + (opts.startTimeoutMs ?? 15_000));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
