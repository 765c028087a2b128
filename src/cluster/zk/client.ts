/**
 * A small ZooKeeper client of our own (why: docs/dependencies.md): one session over a list of servers,
 * reconnecting to the next server while the session lives, and a session-loss timer of its own.
 *
 * Contract:
 * - `state` is `connecting` (no server yet, or between servers), `connected`, or `closed`. Every change
 *   is emitted as `state`; `session` is emitted with `'new'` when a new session starts and `'expired'`
 *   when the previous one is gone — told by a server, OR decided here when no server has answered for a
 *   whole negotiated timeout (a partition: the server will expire it, we never wait to be told).
 * - `aliveUntil()` is the lease: the session is provably alive until the SEND time of the last request a
 *   server answered plus `leaseFraction` of the negotiated timeout (the server restarts its session timer
 *   on every request it receives). Pings go every eighth of the timeout, so a healthy lease never lapses;
 *   a process frozen (SIGSTOP, GC) past it finds its lease lapsed on its first instruction after waking.
 * - Requests while not connected reject at once with `ZK_UNAVAILABLE`; callers retry when `connected`.
 *   Watches do not survive a connection change: watchers re-read (and re-watch) on `state: connected`.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../lib/logger.js';
import { Connection, ZkError } from './connection.js';
import type { JuteReader, JuteWriter } from './jute.js';
import { OP, type WatchEvent, ZK_ERR } from './protocol.js';

export type ZkState = 'connecting' | 'connected' | 'closed';

export interface ZkClientOptions {
  readonly servers: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly sessionTimeoutMs: number;
  /** Digest credentials (`user:password`), sent after each handshake; never logged. */
  readonly auth?: { readonly user: string; readonly password: string };
  readonly logger: Logger;
  /** Fraction of the negotiated timeout the lease lasts after the last answered request (default 0.5). */
  readonly leaseFraction?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  readonly now?: () => number;
  /** Picks the first server to try (default `Math.random`; a test pins it). */
  readonly random?: () => number;
}

export class ZkClient extends EventEmitter {
  state: ZkState = 'connecting';
  /** The session id, hex, or '' before the first session. */
  sessionId = '';
  /** Negotiated timeout of the current session (the requested one until a server answers). */
  timeoutMs: number;
  private sid = 0n;
  private password: Buffer = Buffer.alloc(16);
  private lastZxid = 0n;
  private lastReplySentAt = -Infinity;
  private conn?: Connection;
  /** Servers are tried in turn from a random one, so instances spread over the ensemble. */
  private next: number;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: ZkClientOptions) {
    super();
    this.now = opts.now ?? (() => performance.now());
    this.timeoutMs = opts.sessionTimeoutMs;
    this.next = Math.floor((opts.random ?? Math.random)() * 1024);
    this.log = opts.logger.child({ component: 'zookeeper' });
  }

  /** Start connecting (in the background; watch `state`). */
  start(): void {
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(this.timeoutMs / 8)));
    void this.connectLoop();
  }

  /**
   * Monotonic ms until which the session is provably alive: a server answered a request sent then, and no
   * server expires a session before the timeout has passed since it last heard from us. It holds across a
   * move to another server (a lost connection is not a lost session); −Infinity once closed or expired.
   */
  aliveUntil(): number {
    if (this.state === 'closed' || this.sid === 0n) return -Infinity;
    return this.lastReplySentAt + this.timeoutMs * (this.opts.leaseFraction ?? 0.5);
  }

  /** Whether the lease holds right now. */
  alive(): boolean {
    return this.now() < this.aliveUntil();
  }

  /** Send one request on the current connection. */
  request<T>(op: number, write: ((w: JuteWriter) => void) | undefined, read: (r: JuteReader) => T): Promise<T> {
    const conn = this.conn;
    if (this.state !== 'connected' || !conn) {
      return Promise.reject(new ZkError(ZK_ERR.connectionLoss, 'not connected to ZooKeeper'));
    }
    return conn.send(op, write).then(read);
  }

  /** End the session (its ephemeral nodes go at once) and stop. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const conn = this.conn;
    this.setState('closed');
    clearInterval(this.timer);
    if (conn && !conn.isClosed) {
      await Promise.race([conn.send(OP.closeSession).catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      conn.destroy(new ZkError(ZK_ERR.connectionLoss, 'closed'));
    }
  }

  private closed(): boolean {
    return this.state === 'closed';
  }

  private setState(state: ZkState): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    this.emit('state', state);
  }

  /** Pings, and the two timers of their own: a silent server is left; a session unheard of for T is lost. */
  private tick(): void {
    const now = this.now();
    const conn = this.conn;
    if (this.state === 'connected' && conn) {
      if (now - conn.lastReceivedAt > (this.timeoutMs * 2) / 3) {
        this.log.warn({ silent_ms: Math.round(now - conn.lastReceivedAt) }, 'ZooKeeper server silent; trying another');
        conn.destroy(new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper server silent'));
      } else conn.ping();
    }
    if (this.sid !== 0n && now - this.lastReplySentAt > this.timeoutMs)
      this.expire('no server answered within the session timeout');
  }

  private expire(why: string): void {
    if (this.sid === 0n) return;
    this.log.warn({ session: this.sessionId, why }, 'ZooKeeper session expired');
    this.sid = 0n;
    this.password = Buffer.alloc(16);
    this.sessionId = '';
    this.conn?.destroy(new ZkError(ZK_ERR.sessionExpired, 'ZooKeeper session expired'));
    this.emit('session', 'expired');
  }

  private async connectLoop(): Promise<void> {
    let failures = 0;
    while (!this.closed()) {
      const target = this.opts.servers[this.next % this.opts.servers.length]!;
      this.next += 1;
      try {
        await this.connectOnce(target);
        failures = 0;
        await new Promise<void>((resolve) => this.once('disconnected', resolve));
      } catch (err) {
        failures += 1;
        this.log.debug({ err, server: `${target.host}:${target.port}` }, 'ZooKeeper connection attempt failed');
      }
      if (this.closed()) return;
      this.setState('connecting');
      // A full round of servers failed: wait a little (≤ 1 s) before the next round.
      if (failures > 0 && failures % this.opts.servers.length === 0) {
        await new Promise((r) =>
          setTimeout(r, Math.min(1000, 100 * 2 ** Math.min(4, failures / this.opts.servers.length))),
        );
      }
    }
  }

  private async connectOnce(target: { host: string; port: number }): Promise<void> {
    const auth = this.opts.auth && Buffer.from(`${this.opts.auth.user}:${this.opts.auth.password}`);
    const asked = this.sid;
    const { conn, response } = await Connection.open(
      target,
      {
        lastZxidSeen: this.lastZxid,
        timeoutMs: this.opts.sessionTimeoutMs,
        sessionId: this.sid,
        password: this.password,
      },
      {
        onReply: (sentAt) => {
          if (sentAt > this.lastReplySentAt) this.lastReplySentAt = sentAt;
        },
        onWatch: (event: WatchEvent) => this.emit('watch', event),
        onZxid: (zxid) => {
          if (zxid > this.lastZxid) this.lastZxid = zxid;
        },
        // May run before `open` resolves (a handshake that fails): only the current connection is forgotten.
        onClose: (_reason, closed) => {
          if (this.conn === closed) this.conn = undefined;
          this.emit('disconnected');
        },
      },
      { timeoutMs: Math.max(1000, this.timeoutMs / 3), now: this.now, auth },
    );
    // `close()` ran, or we gave the session up (a paused server answering late), while this handshake was
    // under way: end the session it opened for good (its ephemeral nodes go) and keep nothing alive.
    if (this.closed()) await endSession(conn, ZK_ERR.connectionLoss, 'closed during the handshake');
    if (asked !== this.sid) await endSession(conn, ZK_ERR.sessionExpired, 'ZooKeeper session given up');
    if (response.timeoutMs <= 0) {
      this.expire('the server says the session expired');
      conn.destroy(new ZkError(ZK_ERR.sessionExpired, 'ZooKeeper session expired'));
      throw new ZkError(ZK_ERR.sessionExpired, 'ZooKeeper session expired');
    }
    const isNew = response.sessionId !== this.sid;
    if (isNew && this.sid !== 0n) this.expire('the server gave a new session');
    this.sid = response.sessionId;
    this.password = response.password;
    this.sessionId = response.sessionId.toString(16);
    this.timeoutMs = response.timeoutMs;
    this.conn = conn;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(this.timeoutMs / 8)));
    if (conn.isClosed) throw new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper connection closed during handshake');
    if (isNew) {
      this.log.info({ session: this.sessionId, timeout_ms: this.timeoutMs }, 'ZooKeeper session started');
      this.emit('session', 'new');
    }
    this.setState('connected');
  }
}

/** Close the session a connection holds (waiting at most 1 s), destroy the connection, and throw. */
async function endSession(conn: Connection, code: number, message: string): Promise<never> {
  await Promise.race([conn.send(OP.closeSession).catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  conn.destroy(new ZkError(code, message));
  throw new ZkError(code, message);
}
