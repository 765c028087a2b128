/**
 * A real bind9 (Debian's `named`) for DNS-01 tests and benchmarks: authoritative only, on a free
 * loopback port (UDP and TCP), with the zones asked for, each with `* A 127.0.0.1` (so HTTP-01 still
 * resolves when it is Pebble's resolver), a TSIG key (hmac-sha256 by default) and
 * `update-policy { grant <key> zonesub TXT; }`.
 *
 * Processes: `stop()` kills exactly the PID it started (also at process exit); its temp directory is
 * removed by `stop()`, at the latest at exit. Throws (never skips) when named is missing.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ask } from '../../src/solvers/dns01/lookup.js';
import { TYPE } from '../../src/solvers/dns01/wire.js';
import { freePort } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export const NAMED_BIN = '/usr/sbin/named';

export interface ZoneSpec {
  readonly name: string;
  /** Extra zone-file lines (relative owners), e.g. `_acme-challenge.x CNAME x.other.test.`. */
  readonly records?: readonly string[];
  /** No update-policy: every dynamic update of this zone is REFUSED. */
  readonly noUpdate?: boolean;
}

export interface Bind9Options {
  readonly zones: readonly ZoneSpec[];
  readonly keyName?: string;
  /** `hmac-sha256` (default), `hmac-sha1`, `hmac-sha512`. */
  readonly algorithm?: string;
}

export interface Bind9 {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly keyName: string;
  readonly algorithm: string;
  /** base64 */
  readonly secret: string;
  readonly dir: string;
  /** named's log lines so far (the last 2,000). */
  log(): string[];
  /** TXT values at `name` as bind9 serves them (dig). */
  txt(name: string): Promise<string[]>;
  /** Stop named (an outage); `start()` runs it again with the same files and port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of live) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
  });
}

function zoneFile(zone: ZoneSpec): string {
  return [
    '$TTL 60',
    `@ IN SOA ns.${zone.name}. admin.${zone.name}. 1 60 60 600 1`,
    `@ IN NS ns.${zone.name}.`,
    'ns IN A 127.0.0.1',
    '@ IN A 127.0.0.1',
    '* IN A 127.0.0.1',
    ...(zone.records ?? []),
    '',
  ].join('\n');
}

function namedConf(dir: string, port: number, o: Required<Bind9Options>, secret: string): string {
  const zones = o.zones.map(
    (z) =>
      `zone "${z.name}" { type primary; file "${join(dir, `${z.name}.zone`)}";${z.noUpdate ? '' : ` update-policy { grant ${o.keyName} zonesub TXT; };`} };`,
  );
  return [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  allow-query { any; };',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    'controls { };',
    `key "${o.keyName}" { algorithm ${o.algorithm}; secret "${secret}"; };`,
    ...zones,
    '',
  ].join('\n');
}

function dig(port: number, name: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+short', '+norecurse', name, 'TXT'], (err, stdout) => {
      if (err) return reject(err);
      resolve(
        stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => l.trim().replace(/^"|"$/g, '')),
      );
    });
  });
}

async function waitReady(child: ChildProcess, port: number, zone: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`named exited with ${child.exitCode}: ${output()}`);
    try {
      const { msg } = await ask({ host: '127.0.0.1', port }, zone, TYPE.SOA, { recursion: false, timeoutMs: 300 });
      if (msg.answers.length > 0) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`named not ready on ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

/** Start named with `opts.zones` and wait until it answers SOA for the first zone. */
export async function startBind9(opts: Bind9Options): Promise<Bind9> {
  try {
    accessSync(NAMED_BIN, constants.X_OK);
  } catch {
    throw new Error(`${NAMED_BIN} is not installed (apt-get install bind9 bind9-utils): DNS-01 tests need it`);
  }
  const o: Required<Bind9Options> = { keyName: 'acme-key', algorithm: 'hmac-sha256', ...opts };
  const dir = makeTempDir('bind9-');
  const port = await freePort();
  const secret = randomBytes(32).toString('base64');
  for (const z of o.zones) writeFileSync(join(dir, `${z.name}.zone`), zoneFile(z));
  writeFileSync(join(dir, 'named.conf'), namedConf(dir, port, o, secret));
  let child: ChildProcess | undefined;
  let log = '';
  const lines: string[] = [];
  const start = async (): Promise<void> => {
    const c = spawn(NAMED_BIN, ['-g', '-n', '1', '-c', join(dir, 'named.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    c.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
      lines.push(
        ...d
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    });
    track(c);
    child = c;
    await waitReady(c, port, o.zones[0]!.name, () => log);
  };
  try {
    await start();
  } catch (err) {
    await killAndWait(child);
    removeTempDir(dir);
    throw err;
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    keyName: o.keyName,
    algorithm: o.algorithm,
    secret,
    dir,
    txt: (name) => dig(port, name),
    log: () => [...lines],
    pause: () => killAndWait(child),
    resume: start,
    async stop() {
      await killAndWait(child);
      removeTempDir(dir);
    },
  };
}
