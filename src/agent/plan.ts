/**
 * What one snapshot asks of the agent's directory, decided purely from fingerprints: which bundles to
 * fetch and write, which to remove, whether default.pem changes, or why the snapshot is not applied.
 *
 * Safety rules (the agent never deletes because of an error, an empty answer or a version going back):
 * - a snapshot of the epoch the agent last applied, with a LOWER version, is refused whole (`stale`);
 *   another epoch (a restarted daemon, another HA instance) is a new full state and is applied;
 * - an empty certificate list while the directory holds bundles removes nothing (`removalsHeld`);
 * - names that are not safe file names are ignored (never a path outside `certs/`);
 * - an unchanged file (same fingerprint) is never rewritten.
 */
import { isSafeName } from '../lib/file-names.js';
import type { SyncSnapshot } from './client.js';

export interface LocalState {
  /** name → SHA-256 of `certs/<name>.pem` as on disk. */
  readonly bundles: ReadonlyMap<string, string>;
  /** SHA-256 of default.pem, or null when absent. */
  readonly defaultSha: string | null;
}

export interface Applied {
  readonly epoch: string;
  readonly version: number;
}

export type SyncPlan =
  | { readonly kind: 'stale'; readonly reason: string }
  | {
      readonly kind: 'apply';
      /** name → the fingerprint the written file must have. */
      readonly fetch: ReadonlyMap<string, string>;
      readonly remove: readonly string[];
      /** The fingerprint default.pem must get, or null to leave it. */
      readonly fetchDefault: string | null;
      /** Removals not made because the snapshot listed no certificate at all. */
      readonly removalsHeld: number;
    };

export function planSync(local: LocalState, snap: SyncSnapshot, last: Applied | undefined): SyncPlan {
  if (last && snap.epoch === last.epoch && snap.version < last.version)
    return { kind: 'stale', reason: `version ${snap.version} is older than ${last.version} of the same server run` };
  const wanted = new Map<string, string>();
  for (const c of snap.certificates) if (isSafeName(c.name)) wanted.set(c.name, c.sha256);
  const fetch = new Map<string, string>();
  for (const [name, sha] of wanted) if (local.bundles.get(name) !== sha) fetch.set(name, sha);
  const gone = [...local.bundles.keys()].filter((n) => !wanted.has(n)).sort();
  const empty = snap.certificates.length === 0;
  return {
    kind: 'apply',
    fetch,
    remove: empty ? [] : gone,
    fetchDefault: snap.default !== null && snap.default !== local.defaultSha ? snap.default : null,
    removalsHeld: empty ? gone.length : 0,
  };
}

/** Split `items` into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
