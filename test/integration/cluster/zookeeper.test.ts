/**
 * Our ZooKeeper client (src/cluster/zk/) against a REAL ZooKeeper 3.8 from Debian on loopback: the
 * operations, watches, ephemeral nodes, digest ACLs, the lease and our own session-loss timer (the
 * server paused with SIGSTOP: nothing answers, and the client must say the session is gone by itself).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/lib/logger.js';
import type { Coordination } from '../../../src/cluster/port.js';
import { ZooKeeper } from '../../../src/cluster/zk/zookeeper.js';
import { EVENT_TYPE } from '../../../src/cluster/zk/protocol.js';
import { startZooKeeper, type ZkEnsemble } from '../../support/zookeeper.js';

const logger = silentLogger();

function servers(zk: ZkEnsemble): Array<{ host: string; port: number }> {
  return zk.servers.map((s) => ({ host: s.split(':')[0]!, port: Number(s.split(':')[1]) }));
}

async function connected(
  zk: ZkEnsemble,
  opts: { timeoutMs?: number; auth?: { user: string; password: string } } = {},
): Promise<ZooKeeper> {
  const c = new ZooKeeper({ servers: servers(zk), sessionTimeoutMs: opts.timeoutMs ?? 4000, logger, auth: opts.auth });
  c.start();
  await until(c, 'connected');
  return c;
}

function until(c: Coordination, state: 'connected' | 'connecting', timeoutMs = 30_000): Promise<void> {
  if (c.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ${state} after ${timeoutMs} ms`)), timeoutMs);
    const on = (s: string) => {
      if (s !== state) return;
      clearTimeout(timer);
      c.off('state', on);
      resolve();
    };
    c.on('state', on);
  });
}

function nextEvent<T>(
  c: Coordination,
  name: 'watch' | 'session',
  match: (v: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event after ${timeoutMs} ms`)), timeoutMs);
    const on = (v: T) => {
      if (!match(v)) return;
      clearTimeout(timer);
      c.off(name, on);
      resolve(v);
    };
    c.on(name, on);
  });
}

describe('ZooKeeper client against one real server', () => {
  let zk: ZkEnsemble;
  before(async () => {
    zk = await startZooKeeper(1);
  });
  after(async () => {
    await zk?.stop();
  });

  test('creates, reads, lists, syncs and deletes nodes; missing nodes are undefined/false, not errors', async () => {
    const c = await connected(zk);
    try {
      await c.ensurePath('/t1/a/b');
      await c.ensurePath('/t1/a/b');
      assert.equal(await c.create('/t1/a/b/x', Buffer.from('hello'), 'persistent'), '/t1/a/b/x');
      assert.equal((await c.getData('/t1/a/b/x'))?.toString(), 'hello');
      assert.deepEqual(await c.getChildren('/t1/a/b'), ['x']);
      assert.equal(await c.exists('/t1/a/b/x'), true);
      await c.sync('/t1');
      await c.delete('/t1/a/b/x');
      await c.delete('/t1/a/b/x');
      assert.equal(await c.getData('/t1/a/b/x'), undefined);
      assert.equal(await c.exists('/t1/a/b/x'), false);
      const seq = await c.create('/t1/a/n-', Buffer.alloc(0), 'ephemeral-sequential');
      assert.match(seq, /^\/t1\/a\/n-\d{10}$/);
      assert.ok(c.alive(), 'a connected session holds its lease');
    } finally {
      await c.close();
    }
  });

  test('an ephemeral node goes when its session is closed, and watches on it fire for another client', async () => {
    const a = await connected(zk);
    const b = await connected(zk);
    try {
      await a.ensurePath('/t2');
      const node = await a.create('/t2/e-', Buffer.from('a'), 'ephemeral-sequential');
      assert.equal(await b.exists(node, true), true);
      await b.getChildren('/t2', true);
      const events: number[] = [];
      const got = new Promise<void>((resolve) => {
        b.on('watch', (e: { type: number }) => {
          events.push(e.type);
          if (events.length === 2) resolve();
        });
      });
      await a.close();
      await got;
      assert.deepEqual(events.sort(), [EVENT_TYPE.deleted, EVENT_TYPE.childrenChanged].sort());
      assert.equal(await b.exists(node), false);
    } finally {
      await b.close();
    }
  });

  test('digest credentials: nodes are ours alone; a client without them cannot read them', async () => {
    const owner = await connected(zk, { auth: { user: 'acme', password: 's3cret' } });
    const stranger = await connected(zk);
    try {
      await owner.ensurePath('/t3/private');
      await owner.create('/t3/private/k', Buffer.from('v'), 'persistent');
      assert.equal((await owner.getData('/t3/private/k'))?.toString(), 'v');
      await assert.rejects(
        stranger.getData('/t3/private/k'),
        (err: { code?: string; details?: { zk_code?: number } }) => {
          assert.equal(err.code, 'ZK_ERROR');
          assert.equal(err.details?.zk_code, -102);
          return true;
        },
      );
    } finally {
      await owner.close();
      await stranger.close();
    }
  });

  test('a server that stops answering: the lease lapses, the client declares the session lost itself, then starts a new one', async () => {
    const c = await connected(zk, { timeoutMs: 2000 });
    try {
      const first = c.sessionId;
      const expired = nextEvent<string>(c, 'session', (s) => s === 'expired');
      zk.pause(0);
      try {
        await until(c, 'connecting');
        assert.equal(c.alive(), false, 'no lease while no server answers');
        await expired;
      } finally {
        zk.resume(0);
      }
      await until(c, 'connected');
      assert.notEqual(c.sessionId, first, 'a new session after the old one was lost');
      assert.ok(c.alive());
      await c.ensurePath('/t4');
    } finally {
      await c.close();
    }
  });
});

describe('ZooKeeper client against a three-server ensemble', () => {
  let zk: ZkEnsemble;
  before(async () => {
    zk = await startZooKeeper(3);
  });
  after(async () => {
    await zk?.stop();
  });

  test('losing the server it talks to: the session and its ephemeral node survive on another server', async () => {
    // The first server tried is pinned (instances start at a random one): the test kills the one it talks to.
    const c = new ZooKeeper({ servers: servers(zk), sessionTimeoutMs: 6000, logger, random: () => 0 });
    c.start();
    await until(c, 'connected');
    let expired = false;
    c.on('session', (s: string) => {
      if (s === 'expired') expired = true;
    });
    const watcher = new ZooKeeper({ servers: servers(zk).slice(1), sessionTimeoutMs: 6000, logger });
    watcher.start();
    await until(watcher, 'connected');
    try {
      await c.ensurePath('/q1');
      const node = await c.create('/q1/e-', Buffer.alloc(0), 'ephemeral-sequential');
      const session = c.sessionId;
      // Listen before the kill: the client may lose the server and reconnect elsewhere before kill()
      // has seen the process exit (this test once waited for a 'connecting' that had come and gone).
      const lost = until(c, 'connecting');
      await zk.kill(0); // the client tries servers in order: it talks to the first
      await lost;
      await until(c, 'connected');
      assert.equal(c.sessionId, session);
      assert.equal(expired, false);
      await watcher.sync('/q1');
      assert.equal(await watcher.exists(node), true, 'the ephemeral node is still there');
      await zk.start(0);
    } finally {
      await c.close();
      await watcher.close();
    }
  });
});
