/**
 * One TCP connection to one ZooKeeper server: the handshake (connect request, then digest auth when
 * configured), requests matched to replies in order, pings, and watch events. It knows nothing of
 * sessions surviving it: `client.ts` opens a new connection (same session) after this one ends.
 *
 * Contract: every complete frame in a read is handled, in order (a watch event arriving in the same TCP
 * segment as a reply is never lost); `onReply` is told the SEND time of each request a server answered
 * (the lease is measured from it); after `onClose` fires once, every pending request has been rejected
 * with a connection-loss `ZkError` and nothing else is called.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { AppError } from '../../lib/errors.js';
import { JuteReader, type JuteWriter, splitFrames } from './jute.js';
import {
  type ConnectRequest,
  type ConnectResponse,
  decodeConnect,
  encodeConnect,
  encodeRequest,
  OP,
  readReplyHeader,
  readWatchEvent,
  type WatchEvent,
  XID,
  ZK_ERR,
} from './protocol.js';

/** A ZooKeeper failure; `zkCode` is the server's (or our connection-loss) error code. */
export class ZkError extends AppError {
  constructor(
    readonly zkCode: number,
    message: string,
    cause?: unknown,
  ) {
    super(
      zkCode === ZK_ERR.connectionLoss || zkCode === ZK_ERR.sessionExpired ? 'ZK_UNAVAILABLE' : 'ZK_ERROR',
      message,
      {
        cause,
        details: { zk_code: zkCode },
      },
    );
  }
}

export interface ConnectionHandlers {
  /** A request sent at `sentAt` (monotonic ms) was answered: the server had our session alive then. */
  onReply(sentAt: number): void;
  onWatch(event: WatchEvent): void;
  onZxid(zxid: bigint): void;
  /** The connection ended (once); `conn` is the connection that ended. */
  onClose(reason: Error, conn: Connection): void;
}

interface Pending {
  readonly xid: number;
  readonly sentAt: number;
  readonly resolve: (r: JuteReader) => void;
  readonly reject: (e: Error) => void;
}

export class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private readonly pings: number[] = [];
  private handshake?: { sentAt: number; resolve: (r: ConnectResponse) => void; reject: (e: Error) => void };
  private xid = 1;
  private closed = false;
  /** Monotonic ms of the last frame received. */
  lastReceivedAt: number;

  private constructor(
    private readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
    private readonly now: () => number,
  ) {
    this.lastReceivedAt = now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.end(new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper connection failed', err)));
    socket.on('close', () => this.end(new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper connection closed')));
  }

  /**
   * Connect to `host:port` and shake hands within `timeoutMs`; resolves with the connection and the
   * server's answer (a non-positive timeout there means the session asked for has expired).
   */
  static async open(
    target: { host: string; port: number },
    request: ConnectRequest,
    handlers: ConnectionHandlers,
    opts: { timeoutMs: number; now: () => number; auth?: Buffer },
  ): Promise<{ conn: Connection; response: ConnectResponse }> {
    const socket = netConnect({ host: target.host, port: target.port });
    const conn = new Connection(socket, handlers, opts.now);
    const timer = setTimeout(
      () => conn.destroy(new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper handshake timed out')),
      opts.timeoutMs,
    );
    try {
      const response = await new Promise<ConnectResponse>((resolve, reject) => {
        conn.handshake = { sentAt: opts.now(), resolve, reject };
        socket.once('connect', () => {
          if (conn.handshake) conn.handshake = { ...conn.handshake, sentAt: opts.now() };
          socket.write(encodeConnect(request));
        });
      });
      if (opts.auth && response.timeoutMs > 0)
        await conn.send(OP.auth, (w) => w.int(0).string('digest').buffer(opts.auth!), XID.auth);
      return { conn, response };
    } catch (err) {
      conn.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send one request; resolves with a reader positioned after the reply header (err 0), else rejects. */
  send(op: number, write?: (w: JuteWriter) => void, fixedXid?: number): Promise<JuteReader> {
    if (this.closed) return Promise.reject(new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper connection closed'));
    const xid = fixedXid ?? this.xid++;
    return new Promise((resolve, reject) => {
      this.pending.push({ xid, sentAt: this.now(), resolve, reject });
      this.socket.write(encodeRequest(xid, op, write));
    });
  }

  ping(): void {
    if (this.closed) return;
    this.pings.push(this.now());
    this.socket.write(encodeRequest(XID.ping, OP.ping));
  }

  /** Close the socket now; pending requests reject with `reason`. Idempotent. */
  destroy(reason: Error): void {
    this.socket.destroy();
    this.end(reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private end(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.handshake?.reject(reason);
    this.handshake = undefined;
    for (const p of this.pending.splice(0)) p.reject(reason);
    this.handlers.onClose(reason, this);
  }

  private onData(chunk: Buffer): void {
    this.lastReceivedAt = this.now();
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      const { frames, rest } = splitFrames(this.buffered);
      this.buffered = Buffer.from(rest);
      for (const frame of frames) {
        if (this.closed) return;
        this.onFrame(frame);
      }
    } catch (err) {
      this.destroy(new ZkError(ZK_ERR.connectionLoss, 'ZooKeeper sent a malformed reply', err));
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.handshake) {
      const h = this.handshake;
      this.handshake = undefined;
      this.handlers.onReply(h.sentAt);
      h.resolve(decodeConnect(frame));
      return;
    }
    const r = new JuteReader(frame);
    const header = readReplyHeader(r);
    if (header.zxid > 0n) this.handlers.onZxid(header.zxid);
    if (header.xid === XID.notification) {
      this.handlers.onWatch(readWatchEvent(r));
      return;
    }
    if (header.xid === XID.ping) {
      const sentAt = this.pings.shift();
      if (sentAt !== undefined) this.handlers.onReply(sentAt);
      return;
    }
    const p = this.pending.shift();
    if (!p || p.xid !== header.xid) throw new RangeError(`ZooKeeper reply out of order (xid ${header.xid})`);
    this.handlers.onReply(p.sentAt);
    if (header.err === ZK_ERR.ok) p.resolve(r);
    else p.reject(new ZkError(header.err, `ZooKeeper error ${header.err}`));
  }
}
