/**
 * Leader election on ZooKeeper, the standard recipe: each instance owns one ephemeral sequential node
 * under `<path>/leader` (`n-<session>-<seq>`, data: its instance id); the lowest sequence leads; every
 * other candidate watches only its predecessor (no herd on a change). A node of our own session found
 * there (a create whose answer was lost with the connection) is adopted, never duplicated.
 *
 * Leadership is a lease (zk/client.ts): a term begins when our node is the lowest AND the session is
 * provably alive, and ends — its `signal` aborts with a `NOT_LEADER` error — the moment the lease
 * lapses, the session expires, or our node is no longer the lowest. `assertLeading()` is the fence:
 * everything that changes the CA's or the storage's state calls it right before acting.
 *
 * Contract: at most one term is open at a time in this process; `onTerm` is called once per term,
 * after which the term's `signal` tells when it ended; `stop()` ends the term, deletes our node (the
 * next candidate leads at once), and closes the session.
 */
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Coordination } from './port.js';

export interface Term {
  /** 1, 2, ... within this process. */
  readonly number: number;
  readonly since: Date;
  /** Aborts when the term ends, with a `NOT_LEADER` AppError as its reason. */
  readonly signal: AbortSignal;
}

export interface ElectionOptions {
  readonly zk: Coordination;
  /** The base path of `--zk` (e.g. `/marathon-acme`). */
  readonly path: string;
  readonly instanceId: string;
  readonly logger: Logger;
  /** A term began (this instance leads until `term.signal` aborts); also settable with `setOnTerm`. */
  readonly onTerm?: (term: Term) => void;
  /** How often the member list is re-read (default 2000 ms); leadership itself follows watches. */
  readonly refreshMs?: number;
}

export interface ClusterView {
  /** Instance id of the leader, if one is known. */
  readonly leader?: string;
  /** Instance ids of every candidate, leader first. */
  readonly members: readonly string[];
  readonly self: string;
  /** Since when this instance holds its current role (leader, follower, or without ZooKeeper). */
  readonly since: Date;
  readonly leading: boolean;
  readonly zookeeper: 'connecting' | 'connected' | 'closed';
}

/** The error a closed fence throws; an outage for the reconciler, never a certificate's failure. */
export class NotLeaderError extends AppError {
  readonly outage = true;
  constructor(why: string) {
    super('NOT_LEADER', `not the leader: ${why}`, { details: { why } });
    this.name = 'AbortError';
  }
}

const SEQ = /-(\d{10})$/;
const seqOf = (name: string): number => Number(SEQ.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);

export class Election {
  private node?: string;
  private term?: { readonly ac: AbortController; readonly info: Term };
  private terms = 0;
  private leaderId?: string;
  private members: string[] = [];
  private predecessor?: string;
  private since = new Date();
  private running = false;
  private again = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  private readonly dir: string;
  private onTerm: (term: Term) => void;

  constructor(private readonly opts: ElectionOptions) {
    this.log = opts.logger.child({ component: 'election' });
    this.onTerm = opts.onTerm ?? (() => undefined);
    this.dir = `${opts.path.replace(/\/+$/, '')}/leader`;
  }

  /** Who is told when a term begins (before `start`). */
  setOnTerm(onTerm: (term: Term) => void): void {
    this.onTerm = onTerm;
  }

  /** Join the election (the ZooKeeper client is started here if it is not yet). */
  start(): void {
    const { zk } = this.opts;
    zk.on('state', (s: string) => {
      if (s === 'connected') this.evaluate();
      else
        this.log.warn(
          { zookeeper: s, leading: this.leading() },
          'ZooKeeper disconnected; leading only while the lease holds',
        );
    });
    zk.on('session', (what: string) => {
      if (what !== 'expired') return;
      this.node = undefined;
      this.endTerm('ZooKeeper session expired');
    });
    zk.on('watch', (e: { path: string }) => {
      if (this.predecessor && e.path === this.predecessor) this.evaluate();
    });
    const leaseCheck = Math.max(20, Math.floor(zk.timeoutMs / 16));
    this.timers.push(setInterval(() => this.checkLease(), leaseCheck));
    this.timers.push(setInterval(() => this.evaluate(), this.opts.refreshMs ?? 2000));
    if (zk.state === 'connected') this.evaluate();
    else if (zk.state !== 'closed') zk.start();
  }

  /** Whether this instance leads right now (a term is open and the lease holds). */
  leading(): boolean {
    return this.term !== undefined && !this.term.ac.signal.aborted && this.opts.zk.alive();
  }

  /** The fence: throws `NotLeaderError` unless this instance leads right now. */
  assertLeading(action: string): void {
    if (this.leading()) return;
    this.checkLease();
    throw new NotLeaderError(`refused ${action}: this instance does not provably lead`);
  }

  /**
   * The fence for work that starts something new (a new order or account): also refused while ZooKeeper is
   * disconnected, though the lease still holds (in-flight work may finish within the lease; nothing new
   * starts until the session is confirmed again).
   */
  assertMayStart(action: string): void {
    this.assertLeading(action);
    if (this.opts.zk.state !== 'connected')
      throw new NotLeaderError(`refused ${action}: ZooKeeper is disconnected; nothing new starts until it is back`);
  }

  view(): ClusterView {
    return {
      ...(this.leaderId !== undefined ? { leader: this.leaderId } : {}),
      members: [...this.members],
      self: this.opts.instanceId,
      since: this.since,
      leading: this.leading(),
      zookeeper: this.opts.zk.state,
    };
  }

  /** `/status`'s `cluster`: `{ leader, members, self, since, leading, zookeeper, session }`. */
  report(): Record<string, unknown> {
    const v = this.view();
    return {
      leader: v.leader ?? null,
      members: v.members,
      self: v.self,
      since: v.since.toISOString(),
      leading: v.leading,
      zookeeper: v.zookeeper,
      session_timeout: this.opts.zk.timeoutMs / 1000,
    };
  }

  /** `/health`'s `zookeeper` check: fails while no ZooKeeper server answers (the cause is named). */
  health(): { ok: boolean; detail: string } {
    const v = this.view();
    if (v.zookeeper !== 'connected')
      return {
        ok: false,
        detail: `ZooKeeper unreachable: no server answers (${v.leading ? 'leading on its lease' : 'not leading'})`,
      };
    if (v.leading) return { ok: true, detail: 'connected; this instance leads' };
    return { ok: true, detail: v.leader ? `connected; following ${v.leader}` : 'connected; electing a leader' };
  }

  /** End the term, delete our node so the next candidate leads at once, close the session. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.endTerm('stopping');
    const node = this.node;
    this.node = undefined;
    if (node && this.opts.zk.state === 'connected') await this.opts.zk.delete(node).catch(() => undefined);
    await this.opts.zk.close();
  }

  private checkLease(): void {
    if (this.term && !this.opts.zk.alive()) this.endTerm('ZooKeeper lease lapsed (no server heard from in time)');
  }

  private beginTerm(): void {
    this.terms += 1;
    const ac = new AbortController();
    const info: Term = { number: this.terms, since: new Date(), signal: ac.signal };
    this.term = { ac, info };
    this.since = info.since;
    this.log.info(
      { instance: this.opts.instanceId, term: info.number, members: this.members.length },
      'leadership gained',
    );
    this.onTerm(info);
  }

  private endTerm(why: string): void {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.since = new Date();
    term.ac.abort(new NotLeaderError(why));
    this.log.warn({ instance: this.opts.instanceId, term: term.info.number, why }, 'leadership lost');
  }

  /** Re-read the candidates and act (coalesced: one evaluation at a time, then once more if asked). */
  private evaluate(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.evaluateOnce()
      .catch((err) => this.log.debug({ err }, 'election: ZooKeeper not available; waiting'))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.evaluate();
        }
      });
  }

  private async evaluateOnce(): Promise<void> {
    const { zk } = this.opts;
    if (zk.state !== 'connected') return;
    await zk.ensurePath(this.dir);
    let children = await zk.getChildren(this.dir);
    const session = zk.sessionId;
    const ours = children.find((c) => c.startsWith(`n-${session}-`));
    if (ours) this.node = `${this.dir}/${ours}`;
    else {
      this.node = await zk.create(
        `${this.dir}/n-${session}-`,
        Buffer.from(this.opts.instanceId),
        'ephemeral-sequential',
      );
      children = await zk.getChildren(this.dir);
    }
    children.sort((a, b) => seqOf(a) - seqOf(b));
    const mine = this.node.slice(this.dir.length + 1);
    await this.readMembers(children);
    const index = children.indexOf(mine);
    if (index < 0) {
      this.node = undefined;
      this.again = true;
      return;
    }
    if (index === 0) {
      this.predecessor = undefined;
      if (!this.term && zk.alive() && !this.stopped) this.beginTerm();
      return;
    }
    if (this.term) this.endTerm('another candidate is first');
    this.predecessor = `${this.dir}/${children[index - 1]}`;
    // Watch only the predecessor: when it goes, look again (it may have been a follower in between).
    if (!(await zk.exists(this.predecessor, true))) this.again = true;
  }

  private async readMembers(children: readonly string[]): Promise<void> {
    const ids: string[] = [];
    for (const c of children) {
      const data = await this.opts.zk.getData(`${this.dir}/${c}`);
      if (data !== undefined) ids.push(data.toString('utf8'));
    }
    const leader = ids[0];
    if (leader !== this.leaderId && !this.term && leader !== this.opts.instanceId) {
      this.log.info({ leader: leader ?? null, instance: this.opts.instanceId }, 'following the leader');
      this.since = new Date();
    }
    this.leaderId = leader;
    this.members = ids;
  }
}
