/**
 * HTTP-01 answers in ZooKeeper (`<path>/challenges/<token>`, data: the key authorization), so that
 * every instance answers the CA's validation requests, whichever one HAProxy sends them to.
 *
 * Contract (the `ChallengeStore` one, for a cluster):
 * - `present` resolves only once the answer is in ZooKeeper (a quorum has it): the leader tells the CA
 *   the challenge is ready after that. The node is ephemeral: a leader that dies takes its answers
 *   with it (the next leader presents its own again when it resumes the order).
 * - `lookup` never rejects. An unknown token is re-checked after a `sync` (this instance's server may
 *   lag the one the leader wrote to), and while ZooKeeper is unreachable it waits a moment for it.
 *   Answers seen are remembered for a while (bounded), so an instance keeps answering what it already
 *   knows while ZooKeeper is away.
 * - `cleanUp` is idempotent and never rejects: an answer it cannot delete goes with the session.
 */
import type { ChallengeStore } from '../domain/contracts.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Coordination } from './port.js';

/** RFC 8555 §8.3: a token is base64url; anything else is never looked up (no path injection). */
const TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;
const REMEMBER_MS = 10 * 60_000;
const REMEMBER_MAX = 10_000;

export interface ZkChallengeStoreOptions {
  readonly zk: Coordination;
  /** The base path of `--zk`. */
  readonly path: string;
  readonly logger: Logger;
  /** How long a lookup waits for ZooKeeper to be connected (default 3000 ms). */
  readonly waitMs?: number;
  readonly now?: () => number;
}

export class ZkChallengeStore implements ChallengeStore {
  private readonly dir: string;
  /** Answers this instance presented or read: token → key authorization and when it was seen. */
  private readonly known = new Map<string, { readonly value: string; readonly at: number; readonly ours: boolean }>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: ZkChallengeStoreOptions) {
    this.dir = `${opts.path.replace(/\/+$/, '')}/challenges`;
    this.log = opts.logger.child({ component: 'zk-challenges' });
    this.now = opts.now ?? Date.now;
  }

  async present(token: string, keyAuthorization: string): Promise<void> {
    if (!TOKEN_RE.test(token)) throw new Error('challenge token is not base64url');
    const { zk } = this.opts;
    await zk.ensurePath(this.dir);
    const path = `${this.dir}/${token}`;
    try {
      await zk.create(path, Buffer.from(keyAuthorization, 'utf8'), 'ephemeral');
    } catch (err) {
      // Already there (a retried present): fine if it holds the same answer.
      const existing = await zk.getData(path);
      if (existing?.toString('utf8') !== keyAuthorization) throw err;
    }
    this.remember(token, keyAuthorization, true);
  }

  async lookup(token: string): Promise<string | undefined> {
    if (!TOKEN_RE.test(token)) return undefined;
    const mine = this.known.get(token);
    if (mine?.ours) return mine.value;
    try {
      const found = await this.read(token);
      if (found === undefined) this.known.delete(token);
      else this.remember(token, found, false);
      return found;
    } catch (err) {
      // ZooKeeper away: answer what this instance already knows.
      this.log.warn({ err: describeError(err).message, token }, 'ZooKeeper unavailable for a challenge lookup');
      const known = this.known.get(token);
      return known && this.now() - known.at < REMEMBER_MS ? known.value : undefined;
    }
  }

  async cleanUp(token: string): Promise<void> {
    this.known.delete(token);
    if (!TOKEN_RE.test(token)) return;
    try {
      await this.opts.zk.delete(`${this.dir}/${token}`);
    } catch (err) {
      this.log.debug({ err: describeError(err).message, token }, 'challenge answer left to the session');
    }
  }

  /** Read the answer; if absent, `sync` and read again before concluding "unknown". */
  private async read(token: string): Promise<string | undefined> {
    await this.connected();
    const { zk } = this.opts;
    const path = `${this.dir}/${token}`;
    const first = await zk.getData(path);
    if (first !== undefined) return first.toString('utf8');
    await zk.sync(this.dir);
    const second = await zk.getData(path);
    return second?.toString('utf8');
  }

  private connected(): Promise<void> {
    const { zk } = this.opts;
    if (zk.state === 'connected') return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        zk.off('state', onState);
        resolve();
      };
      const onState = (s: string): void => {
        if (s === 'connected') done();
      };
      const timer = setTimeout(done, this.opts.waitMs ?? 3000);
      zk.on('state', onState);
    });
  }

  private remember(token: string, value: string, ours: boolean): void {
    this.known.delete(token);
    this.known.set(token, { value, at: this.now(), ours });
    while (this.known.size > REMEMBER_MAX) {
      const oldest = this.known.keys().next().value;
      if (oldest === undefined) break;
      this.known.delete(oldest);
    }
  }
}
