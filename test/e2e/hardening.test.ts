/**
 * Outages that are not the certificates' fault, with the real daemon (a child process), a real Pebble
 * validating HTTP-01 against it, and a real small file system (tmpfs, mounted here: the test runs as
 * root, as CI does). Issue 15, points 1 and 2; issue 9, the unwritable storage directory.
 *
 * - the CA down at start: orders wait on a probe of it (nothing counted against the certificates,
 *   /health says `starting` with the cause), and the certificates come once it is back;
 * - the storage full: nothing is ordered (Pebble issues nothing), the errno is in /health and /status,
 *   and the certificates come once there is room; read-only: EROFS is named;
 * - a storage directory the daemon's user cannot write: a message about ownership, not a raw EACCES.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { DAEMON_BIN, startDaemon, type Daemon, type LogLine } from '../support/daemon.js';
import { freePort, startPebble, type PebbleInstance } from '../support/pebble.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const installed = (name: string) => (l: LogLine) => l.msg === 'certificate installed' && l.domain === name;

/** The daemon on `storage`, answering Pebble's HTTP-01 requests itself (it listens on Pebble's httpPort). */
function daemon(pebble: PebbleInstance, port: number, storage: string, domains: string): Daemon {
  return startDaemon([
    '--acme',
    pebble.directoryUrl,
    '--acme-ca-cert',
    pebble.caCertPath,
    '--marathon',
    'none',
    '--lb',
    'none',
    '--listen',
    `127.0.0.1:${port}`,
    '--email',
    'ops@hardening.test',
    '--domains',
    domains,
    storage,
  ]);
}

async function json(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Mount a tmpfs of `size` at a fresh directory; returns it and its unmount. */
function tmpfs(size: string): { dir: string; umount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hardening-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    umount: () => {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fill the file system of `dir` until it is full (ENOSPC); returns the filler file. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  writeFileSync(file, '');
  for (let chunk = 1 << 20; chunk >= 512; chunk >>= 1) {
    const buf = Buffer.alloc(chunk, 1);
    for (;;) {
      try {
        writeFileSync(file, buf, { flag: 'a' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        break;
      }
    }
  }
  return file;
}

test('outages outside the certificates: the CA, a full or read-only disk, an unwritable directory', {
  timeout: 180_000,
}, async (t) => {
  const port = await freePort();
  const pebble = await startPebble({ httpPort: port });
  t.after(() => pebble.stop());

  await t.test(
    'the CA down at start: nothing is charged, /health says starting with the cause, all come when it is back',
    async () => {
      const storage = mkdtempSync(join(tmpdir(), 'hardening-ca-'));
      t.after(() => rmSync(storage, { recursive: true, force: true }));
      await pebble.pause();
      const d = daemon(pebble, port, storage, 'a.hardening.test;b.hardening.test');
      try {
        await d.waitForLog((l) => l.msg === 'CA not available; orders wait for it', 20_000, 'orders waiting');
        const health = await json(`http://127.0.0.1:${port}/health`);
        const ca = (health.body.checks as Record<string, { ok: boolean; starting?: boolean; detail: string }>).ca;
        assert.equal(health.body.status, 'starting');
        assert.equal(ca?.ok, false, 'a CA never reached is not ok');
        assert.equal(ca?.starting, true);
        assert.match(ca?.detail ?? '', /^starting: ACME server not reached yet: .+/);
        await sleep(5000);
        const status = (await json(`http://127.0.0.1:${port}/status`)).body as {
          certificates: Array<{ failures: number; nextAttempt?: string }>;
        };
        assert.deepEqual(
          status.certificates.map((c) => [c.failures, c.nextAttempt]),
          [
            [0, undefined],
            [0, undefined],
          ],
        );
        await pebble.resume();
        await d.waitForLog(installed('a.hardening.test'), 30_000, 'a installed');
        await d.waitForLog(installed('b.hardening.test'), 30_000, 'b installed');
        assert.equal(d.logs.filter((l) => l.msg === 'certificate order failed').length, 0);
        assert.equal((await json(`http://127.0.0.1:${port}/health`)).body.status, 'ok');
      } finally {
        await d.stop();
      }
    },
  );

  await t.test(
    'a full disk: the CA issues nothing; the errno is shown; the certificates come when there is room',
    async () => {
      const fs = tmpfs('2m');
      t.after(() => fs.umount());
      await new FileStore({ dir: fs.dir, logger: silentLogger() }).init();
      const filler = fill(fs.dir);
      const before = pebble.issuedCount();
      const d = daemon(pebble, port, fs.dir, 'c.hardening.test;d.hardening.test');
      try {
        await d.waitForLog((l) => l.msg === 'storage not writable; orders wait for it', 20_000, 'orders waiting');
        await sleep(8000);
        assert.equal(pebble.issuedCount() - before, 0, 'not one certificate issued while the disk is full');
        const health = await json(`http://127.0.0.1:${port}/health`);
        assert.equal(health.status, 503);
        assert.match(JSON.stringify(health.body), /ENOSPC/);
        const status = (await json(`http://127.0.0.1:${port}/status`)).body as {
          gates: { storage: { state: string; cause?: { errno?: string } } };
        };
        assert.equal(status.gates.storage.state, 'waiting');
        assert.equal(status.gates.storage.cause?.errno, 'ENOSPC');
        unlinkSync(filler);
        await d.waitForLog(installed('c.hardening.test'), 30_000, 'c installed');
        await d.waitForLog(installed('d.hardening.test'), 30_000, 'd installed');
        assert.equal(pebble.issuedCount() - before, 2, 'one certificate per name, none thrown away');
        await remountReadOnly(fs.dir);
        assert.match(JSON.stringify((await json(`http://127.0.0.1:${port}/health`)).body), /EROFS/);
        execFileSync('mount', ['-o', 'remount,rw', fs.dir]);
      } finally {
        await d.stop();
      }
    },
  );

  await t.test('a storage directory the daemon cannot write: a hint about ownership, not a raw EACCES', () => {
    const storage = mkdtempSync(join(tmpdir(), 'hardening-owner-'));
    t.after(() => rmSync(storage, { recursive: true, force: true }));
    chmodSync(storage, 0o755); // root's; the daemon runs as nobody
    const r = spawnSync(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, DAEMON_BIN, '--log-format', 'json', '--marathon', 'none', storage],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    const fatal = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine)
      .find((l) => l.level === 'fatal');
    const message = JSON.stringify(fatal);
    assert.match(message, /EACCES \(permission denied\)/);
    assert.match(message, /MARATHON_ACME_USER/);
    assert.match(message, /--storage-group/);
  });
});

/**
 * `mount -o remount,ro`, retried for a few seconds: the kernel refuses ("mount point is busy") while a
 * file on it is open for writing, as one of the daemon's record writes may be just after an install.
 */
async function remountReadOnly(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
      return;
    } catch (err) {
      if (attempt >= 50) throw err;
      await sleep(100);
    }
  }
}
