/**
 * The `Coordination` port over our ZooKeeper client: the operations encoded, missing nodes turned into
 * `undefined`/`false`, and ACLs chosen once: with digest credentials every node we create is readable
 * and writable only by them (`auth` scheme: the creator); without, open.
 */
import { EventEmitter } from 'node:events';
import type { Coordination, CreateMode } from '../port.js';
import { ZkClient, type ZkClientOptions, type ZkState } from './client.js';
import { ZkError } from './connection.js';
import { CREATE_FLAGS, CREATOR_ALL_ACL, OP, OPEN_ACL, readStat, writeAcls, ZK_ERR } from './protocol.js';

/** The client's options: servers, session timeout, digest credentials, lease fraction, clock, first server. */
export type ZooKeeperOptions = ZkClientOptions;

const MODES: Record<CreateMode, number> = {
  persistent: CREATE_FLAGS.persistent,
  ephemeral: CREATE_FLAGS.ephemeral,
  'ephemeral-sequential': CREATE_FLAGS.ephemeralSequential,
};

function isCode(err: unknown, code: number): boolean {
  return err instanceof ZkError && err.zkCode === code;
}

export class ZooKeeper extends EventEmitter implements Coordination {
  private readonly client: ZkClient;
  private readonly acl;

  constructor(opts: ZooKeeperOptions) {
    super();
    this.client = new ZkClient(opts);
    this.acl = opts.auth ? CREATOR_ALL_ACL : OPEN_ACL;
    this.client.on('state', (s: ZkState) => this.emit('state', s));
    this.client.on('session', (s: string) => this.emit('session', s));
    this.client.on('watch', (e: { type: number; path: string }) => this.emit('watch', e));
  }

  get state(): ZkState {
    return this.client.state;
  }

  get sessionId(): string {
    return this.client.sessionId;
  }

  get timeoutMs(): number {
    return this.client.timeoutMs;
  }

  start(): void {
    this.client.start();
  }

  alive(): boolean {
    return this.client.alive();
  }

  create(path: string, data: Buffer, mode: CreateMode): Promise<string> {
    return this.client.request(
      OP.create,
      (w) => {
        w.string(path).buffer(data);
        writeAcls(w, this.acl);
        w.int(MODES[mode]);
      },
      (r) => r.string() ?? path,
    );
  }

  async ensurePath(path: string): Promise<void> {
    const parts = path.split('/').filter((p) => p !== '');
    let at = '';
    for (const part of parts) {
      at += `/${part}`;
      try {
        await this.create(at, Buffer.alloc(0), 'persistent');
      } catch (err) {
        if (!isCode(err, ZK_ERR.nodeExists)) throw err;
      }
    }
  }

  async getData(path: string, watch = false): Promise<Buffer | undefined> {
    try {
      return await this.client.request(
        OP.getData,
        (w) => w.string(path).bool(watch),
        (r) => Buffer.from(r.buffer() ?? Buffer.alloc(0)),
      );
    } catch (err) {
      if (isCode(err, ZK_ERR.noNode)) return undefined;
      throw err;
    }
  }

  getChildren(path: string, watch = false): Promise<string[]> {
    return this.client.request(
      OP.getChildren,
      (w) => w.string(path).bool(watch),
      (r) => r.strings(),
    );
  }

  async exists(path: string, watch = false): Promise<boolean> {
    try {
      await this.client.request(
        OP.exists,
        (w) => w.string(path).bool(watch),
        (r) => readStat(r),
      );
      return true;
    } catch (err) {
      if (isCode(err, ZK_ERR.noNode)) return false;
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.client.request(
        OP.delete,
        (w) => w.string(path).int(-1),
        () => undefined,
      );
    } catch (err) {
      if (!isCode(err, ZK_ERR.noNode)) throw err;
    }
  }

  async sync(path: string): Promise<void> {
    await this.client.request(
      OP.sync,
      (w) => w.string(path),
      (r) => r.string(),
    );
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
