/**
 * ZooKeeper's client protocol, the operations we use: the connect handshake (with the `readOnly` byte
 * that ZooKeeper 3.9.0–3.9.1 require), ping, create (ephemeral, sequential), delete, exists, getData,
 * setData, getChildren, sync, digest auth, closeSession; reply headers and watch events. Pure encoding
 * and decoding: the socket lives in `connection.ts`.
 */
import { createHash } from 'node:crypto';
import { JuteReader, JuteWriter } from './jute.js';

export const OP = {
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  sync: 9,
  ping: 11,
  auth: 100,
  closeSession: -11,
} as const;

/** Reserved xids of the protocol. */
export const XID = { notification: -1, ping: -2, auth: -4 } as const;

/** Server error codes we act on (KeeperException.Code). */
export const ZK_ERR = {
  ok: 0,
  connectionLoss: -4,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  nodeExists: -110,
  notEmpty: -111,
  sessionExpired: -112,
  authFailed: -115,
} as const;

export const CREATE_FLAGS = { persistent: 0, ephemeral: 1, sequential: 2, ephemeralSequential: 3 } as const;

/** Watch event types (Watcher.Event.EventType). */
export const EVENT_TYPE = { created: 1, deleted: 2, dataChanged: 3, childrenChanged: 4 } as const;

export interface Acl {
  readonly perms: number;
  readonly scheme: string;
  readonly id: string;
}

/** Everyone may do everything: the ACL without credentials. */
export const OPEN_ACL: readonly Acl[] = [{ perms: 31, scheme: 'world', id: 'anyone' }];
/** Only the authenticated creator (digest `user:pass` given to `addAuth`) may do anything. */
export const CREATOR_ALL_ACL: readonly Acl[] = [{ perms: 31, scheme: 'auth', id: '' }];

/** The id of a digest ACL for `user:password`: `user:base64(sha1("user:password"))`. */
export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

export interface Stat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: bigint;
}

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

export interface ConnectRequest {
  readonly lastZxidSeen: bigint;
  readonly timeoutMs: number;
  readonly sessionId: bigint;
  readonly password: Buffer;
}

export function encodeConnect(c: ConnectRequest): Buffer {
  return new JuteWriter()
    .int(0)
    .long(c.lastZxidSeen)
    .int(c.timeoutMs)
    .long(c.sessionId)
    .buffer(c.password)
    .bool(false) // readOnly: we never want a read-only server
    .frame();
}

export interface ConnectResponse {
  /** Negotiated session timeout; 0 or less: the session we asked to resume has expired. */
  readonly timeoutMs: number;
  readonly sessionId: bigint;
  readonly password: Buffer;
}

export function decodeConnect(frame: Buffer): ConnectResponse {
  const r = new JuteReader(frame);
  r.int(); // protocol version
  const timeoutMs = r.int();
  const sessionId = r.long();
  const password = Buffer.from(r.buffer() ?? Buffer.alloc(0));
  // A trailing readOnly byte is sent by servers that know it; older ones omit it.
  return { timeoutMs, sessionId, password };
}

/** A request frame: header (xid, op) then the body `write` adds. */
export function encodeRequest(xid: number, op: number, write?: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter().int(xid).int(op);
  write?.(w);
  return w.frame();
}

export function writeAcls(w: JuteWriter, acls: readonly Acl[]): void {
  w.int(acls.length);
  for (const a of acls) w.int(a.perms).string(a.scheme).string(a.id);
}

export interface ReplyHeader {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
}

export function readReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() };
}

export interface WatchEvent {
  readonly type: number;
  readonly state: number;
  readonly path: string;
}

export function readWatchEvent(r: JuteReader): WatchEvent {
  return { type: r.int(), state: r.int(), path: r.string() ?? '' };
}
