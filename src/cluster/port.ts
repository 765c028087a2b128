/**
 * The port the cluster code uses: the few coordination operations of ZooKeeper that election, the
 * shared challenge store and fencing need, with our own session-loss timer and lease. Implementation:
 * `zk/zookeeper.ts` over our own client (`zk/client.ts`); tests may use a real server or a fake.
 *
 * Contract:
 * - Paths are absolute ZooKeeper paths. `delete` of a missing node, and `create` of an existing
 *   persistent one through `ensurePath`, are not errors; `getData`/`exists` of a missing node are
 *   `undefined`/`false`, never errors.
 * - A watch set by `getChildren`/`exists`/`getData` fires at most once as a `watch` event; watches are
 *   lost when the connection changes, so watchers re-read on every `state: connected`.
 * - `alive()` is the lease (see zk/client.ts): true only while the session is provably alive. Anything
 *   that acts on leadership asks it right before acting.
 * - Failures reject with an AppError: `ZK_UNAVAILABLE` (no connection, session lost: retry later),
 *   `ZK_ERROR` (the server refused: ACL, ...).
 */
import type { EventEmitter } from 'node:events';

export type CreateMode = 'persistent' | 'ephemeral' | 'ephemeral-sequential';

export interface CoordinationEvents {
  /** `connecting` | `connected` | `closed`. */
  state: [state: 'connecting' | 'connected' | 'closed'];
  /** A new session started, or the previous one is gone. */
  session: [what: 'new' | 'expired'];
  /** A watch fired: the node at `path` was created, deleted, changed, or its children changed. */
  watch: [event: { readonly type: number; readonly path: string }];
}

export interface Coordination extends Pick<EventEmitter, 'on' | 'off' | 'once'> {
  readonly state: 'connecting' | 'connected' | 'closed';
  /** Hex id of the current session ('' without one). */
  readonly sessionId: string;
  /** The negotiated session timeout in ms. */
  readonly timeoutMs: number;
  start(): void;
  alive(): boolean;
  /** Create the node; returns its actual path (with the sequence suffix for sequential nodes). */
  create(path: string, data: Buffer, mode: CreateMode): Promise<string>;
  /** Create `path` and its missing parents as persistent nodes. */
  ensurePath(path: string): Promise<void>;
  getData(path: string, watch?: boolean): Promise<Buffer | undefined>;
  getChildren(path: string, watch?: boolean): Promise<string[]>;
  exists(path: string, watch?: boolean): Promise<boolean>;
  delete(path: string): Promise<void>;
  /** Let the server we are connected to catch up with the leader of the ensemble (before a read that must be fresh). */
  sync(path: string): Promise<void>;
  /** End the session: its ephemeral nodes are deleted at once. */
  close(): Promise<void>;
}
