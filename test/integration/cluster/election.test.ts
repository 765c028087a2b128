/**
 * Election, lease, fence and the shared HTTP-01 store against a REAL ZooKeeper 3.8 on loopback: three
 * candidates, exactly one leads; a clean stop hands over at once; a leader whose lease lapses (its clock
 * jumps past the session timeout, as after SIGSTOP) stops at once and writes nothing; answers presented
 * by the leader are found by every instance.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { ZkChallengeStore } from '../../../src/cluster/challenge-store.js';
import { Election, type Term } from '../../../src/cluster/election.js';
import { fencedStore } from '../../../src/cluster/fenced-store.js';
import { ZooKeeper } from '../../../src/cluster/zk/zookeeper.js';
import type { Store } from '../../../src/domain/contracts.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { startZooKeeper, type ZkEnsemble } from '../../support/zookeeper.js';

const logger = silentLogger();

interface Candidate {
  readonly id: string;
  readonly zk: ZooKeeper;
  readonly election: Election;
  readonly terms: Term[];
  /** Move this candidate's monotonic clock forward (a process frozen that long). */
  skew: number;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function candidate(zk: ZkEnsemble, path: string, id: string, timeoutMs = 2000): Candidate {
  const c: Candidate = { id, terms: [], skew: 0 } as unknown as Candidate;
  const client = new ZooKeeper({
    servers: zk.servers.map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })),
    sessionTimeoutMs: timeoutMs,
    logger,
    now: () => performance.now() + c.skew,
  });
  const election = new Election({ zk: client, path, instanceId: id, logger, refreshMs: 200 });
  election.setOnTerm((t) => c.terms.push(t));
  Object.assign(c, { zk: client, election });
  election.start();
  return c;
}

const leaders = (cs: readonly Candidate[]) => cs.filter((c) => c.election.leading());

describe('election on a real ZooKeeper', () => {
  let zk: ZkEnsemble;
  before(async () => {
    zk = await startZooKeeper(1);
  });
  after(async () => {
    await zk?.stop();
  });

  test('three candidates: exactly one leads, all see the same members; a clean stop hands over at once', async () => {
    const cs = ['a', 'b', 'c'].map((id) => candidate(zk, '/e1', id));
    try {
      await waitFor(
        'a leader and three members everywhere',
        () => leaders(cs).length === 1 && cs.every((c) => c.election.view().members.length === 3),
      );
      const first = leaders(cs)[0]!;
      for (const c of cs) {
        assert.equal(c.election.view().leader, first.id);
        assert.deepEqual(c.election.view().members, cs[0]!.election.view().members);
      }
      assert.equal(first.terms.length, 1);
      const term = first.terms[0]!;
      await first.election.stop();
      assert.equal(term.signal.aborted, true, 'the stopped leader’s term ended');
      const rest = cs.filter((c) => c !== first);
      await waitFor('the next candidate leads', () => leaders(rest).length === 1, 5000);
      await waitFor('two members', () => rest.every((c) => c.election.view().members.length === 2));
      assert.equal(leaders(cs).length, 1);
    } finally {
      for (const c of cs) await c.election.stop();
    }
  });

  test('a leader whose lease lapses (its clock jumps past the session timeout) stops at once and writes nothing', async () => {
    const cs = ['p', 'q'].map((id) => candidate(zk, '/e2', id));
    try {
      await waitFor(
        'a leader',
        () => leaders(cs).length === 1 && cs.every((c) => c.election.view().members.length === 2),
      );
      const old = leaders(cs)[0]!;
      const writes: string[] = [];
      const store = fencedStore({ saveState: async (n: string) => void writes.push(n) } as unknown as Store, (a) =>
        old.election.assertLeading(a),
      );
      await store.saveState('before.example', null);
      // As after SIGSTOP for longer than the 2 s session timeout: the first instruction sees the lapse.
      old.skew = 3000;
      await assert.rejects(
        store.saveState('after.example', null),
        (err: { code?: string }) => err.code === 'NOT_LEADER',
      );
      assert.deepEqual(writes, ['before.example'], 'nothing written once the lease lapsed');
      assert.equal(old.terms[0]!.signal.aborted, true, 'the term ended at the first check');
      assert.equal((old.terms[0]!.signal.reason as { code?: string }).code, 'NOT_LEADER');
    } finally {
      for (const c of cs) await c.election.stop();
    }
  });

  test('answers the leader presents are served by every instance; unknown and malformed tokens are not', async () => {
    const cs = ['x', 'y'].map((id) => candidate(zk, '/e3', id));
    const stores = cs.map((c) => new ZkChallengeStore({ zk: c.zk, path: '/e3', logger }));
    try {
      await waitFor('connected', () => cs.every((c) => c.zk.state === 'connected'));
      await stores[0]!.present('tok_EN-1', 'tok_EN-1.thumb');
      await stores[0]!.present('tok_EN-1', 'tok_EN-1.thumb');
      assert.equal(await stores[1]!.lookup('tok_EN-1'), 'tok_EN-1.thumb');
      assert.equal(await stores[0]!.lookup('tok_EN-1'), 'tok_EN-1.thumb');
      assert.equal(await stores[1]!.lookup('unknown'), undefined);
      assert.equal(await stores[1]!.lookup('../leader'), undefined);
      await stores[0]!.cleanUp('tok_EN-1');
      await stores[0]!.cleanUp('tok_EN-1');
      assert.equal(await stores[0]!.lookup('tok_EN-1'), undefined);
      assert.equal(await cs[1]!.zk.exists('/e3/challenges/tok_EN-1'), false);
      // ZooKeeper away: an instance keeps answering what it already knows, and 404s the rest.
      await stores[0]!.present('known_1', 'known_1.thumb');
      assert.equal(await stores[1]!.lookup('known_1'), 'known_1.thumb');
      zk.pause(0);
      try {
        assert.equal(await stores[1]!.lookup('known_1'), 'known_1.thumb');
        assert.equal(await stores[0]!.lookup('known_1'), 'known_1.thumb');
        assert.equal(await stores[1]!.lookup('never_seen'), undefined);
      } finally {
        zk.resume(0);
      }
    } finally {
      for (const c of cs) await c.election.stop();
    }
  });

  test('ZooKeeper disconnected within the lease: in-flight work may go on, nothing new starts', async () => {
    const cs = ['m', 'n'].map((id) => candidate(zk, '/e4', id, 20_000));
    try {
      await waitFor('a leader', () => leaders(cs).length === 1);
      const leader = leaders(cs)[0]!;
      leader.election.assertMayStart('newOrder');
      await zk.kill(0);
      await waitFor('disconnected', () => leader.zk.state !== 'connected', 5000);
      leader.election.assertLeading('finalize');
      assert.throws(
        () => leader.election.assertMayStart('newOrder'),
        (err: { code?: string }) => err.code === 'NOT_LEADER',
      );
    } finally {
      await zk.start(0);
      for (const c of cs) await c.election.stop();
    }
  });
});
