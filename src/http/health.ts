/**
 * /health: a real health check (0.6.1 answered a permanent 501). `gatherHealthFacts` asks each part
 * for its own status (the store's writability, the Marathon source's status, each CA's issuer's status:
 * the `ca` check fails only when no CA of `--acme` is reachable, `ca_<i>` shows each one);
 * `evaluateHealth` is a pure evaluation of those facts, so the thresholds are table-tested.
 */
import type { Issuer, Source, Store } from '../domain/contracts.js';
import { describeError } from '../lib/errors.js';

export interface HealthFacts {
  readonly now: number;
  readonly startedAt: number;
  /** Error message if the storage directory cannot be written. */
  readonly storageError?: string;
  /** Marathon is configured (no Marathon source = no Marathon checks). */
  readonly marathon?: {
    readonly lastSnapshotAt?: number;
    readonly stream?: 'connected' | 'connecting' | 'disconnected';
    readonly lastError?: string;
    /** Snapshots older than this are stale (a few resync intervals). */
    readonly maxAgeMs: number;
  };
  /** The CAs of `--acme` together: reachable when at least one is. */
  readonly ca: { readonly reachable: boolean; readonly lastError?: string };
  /** Each CA of `--acme`, in order of preference (shown when there are several). */
  readonly cas?: readonly { readonly directoryUrl: string; readonly reachable: boolean; readonly lastError?: string }[];
  /** How long after start a missing first snapshot / CA contact is still "starting", not failing. */
  readonly startupGraceMs: number;
  /** With `--zk`: whether this instance's ZooKeeper session is connected, and how it stands. */
  readonly zookeeper?: { readonly ok: boolean; readonly detail: string };
}

export interface Check {
  readonly ok: boolean;
  readonly detail: string;
  /** Not ok yet, within the start-up grace: reported, but the answer stays 200 with status `starting`. */
  readonly starting?: boolean;
  /** Reported only, never fails the health (one CA of several: the `ca` check fails when none answers). */
  readonly informational?: boolean;
}

export interface Health {
  /** False only when a check fails outside the start-up grace (HTTP 503). */
  readonly healthy: boolean;
  /** `ok`, `starting` (some check not ok yet, within the grace; HTTP 200) or `unhealthy`. */
  readonly status?: 'ok' | 'starting' | 'unhealthy';
  readonly checks: Record<string, Check>;
}

export function evaluateHealth(f: HealthFacts): Health {
  const starting = f.now - f.startedAt < f.startupGraceMs;
  const checks: Record<string, Check> = {
    storage: f.storageError
      ? { ok: false, detail: `storage not writable: ${f.storageError}` }
      : { ok: true, detail: 'writable' },
    // A CA never reached is not ok, not even during the grace: it is reported as `starting`, with the cause.
    ca: f.ca.reachable
      ? { ok: true, detail: 'reachable' }
      : starting
        ? {
            ok: false,
            starting: true,
            detail: `starting: ACME server not reached yet${f.ca.lastError ? `: ${f.ca.lastError}` : ' (no answer yet)'}`,
          }
        : { ok: false, detail: `ACME server not reachable${f.ca.lastError ? `: ${f.ca.lastError}` : ''}` },
  };
  if (f.cas && f.cas.length > 1)
    for (const [i, c] of f.cas.entries())
      checks[`ca_${i}`] = {
        ok: c.reachable,
        informational: true,
        detail: `${c.directoryUrl}: ${c.reachable ? 'reachable' : `not reachable${c.lastError ? `: ${c.lastError}` : ''}`}`,
      };
  if (f.marathon) marathonChecks(f.marathon, f.now, starting, checks);
  if (f.zookeeper) {
    const z = f.zookeeper;
    checks.zookeeper = z.ok
      ? { ok: true, detail: z.detail }
      : starting
        ? { ok: false, starting: true, detail: `starting: ${z.detail}` }
        : { ok: false, detail: z.detail };
  }
  const failing = Object.values(checks).filter((c) => !c.ok && c.informational !== true);
  const healthy = failing.every((c) => c.starting === true);
  const status = !healthy ? 'unhealthy' : failing.length > 0 ? 'starting' : 'ok';
  return { healthy, status, checks };
}

/** The Marathon checks: the last snapshot's age and the event stream (never ok for what has not happened). */
function marathonChecks(
  m: NonNullable<HealthFacts['marathon']>,
  now: number,
  starting: boolean,
  checks: Record<string, Check>,
): void {
  if (m.lastSnapshotAt === undefined) {
    // Never `ok: true` for something that has not happened: within the grace it is `starting`.
    checks.marathon_snapshot = {
      ok: false,
      ...(starting ? { starting: true } : {}),
      detail: `${starting ? 'starting: ' : ''}no snapshot of Marathon apps yet${m.lastError ? `: ${m.lastError}` : ''}`,
    };
  } else {
    const age = now - m.lastSnapshotAt;
    checks.marathon_snapshot =
      age <= m.maxAgeMs
        ? { ok: true, detail: `last snapshot ${Math.round(age / 1000)}s ago` }
        : {
            ok: false,
            detail: `last snapshot ${Math.round(age / 1000)}s ago (limit ${Math.round(m.maxAgeMs / 1000)}s)${m.lastError ? `: ${m.lastError}` : ''}`,
          };
  }
  const stream = m.stream ?? 'disconnected';
  const cause = m.lastError ? `: ${m.lastError}` : '';
  checks.event_stream =
    stream !== 'disconnected'
      ? { ok: true, detail: stream }
      : starting
        ? { ok: false, starting: true, detail: `starting: event stream not connected yet${cause}` }
        : { ok: false, detail: `event stream disconnected${cause}` };
}

/** The parts whose status /health reports, and its thresholds. */
export interface HealthParts {
  readonly store: Pick<Store, 'checkWritable'>;
  readonly issuer: Pick<Issuer, 'status'>;
  /** Every CA of `--acme` in order of preference, when there are several (`issuer` is the first). */
  readonly issuers?: readonly Pick<Issuer, 'status'>[];
  /** The Marathon source, when Marathon is configured, and the age beyond which its snapshot is stale. */
  readonly marathon?: { readonly source: Pick<Source, 'status'>; readonly maxAgeMs: number };
  /** Process start (epoch ms). */
  readonly startedAt: number;
  readonly startupGraceMs: number;
  /** With `--zk`: the cluster's own check (ZooKeeper reachable, who leads). */
  readonly zookeeper?: () => { readonly ok: boolean; readonly detail: string };
  /** Injected for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** Ask each part for its status. Never rejects: an unwritable store is a fact, not an error. */
export async function gatherHealthFacts(parts: HealthParts): Promise<HealthFacts> {
  const storageError = await parts.store.checkWritable().then(
    () => undefined,
    (err: unknown) => describeError(err).message,
  );
  const cas = (parts.issuers ?? [parts.issuer]).map((i) => i.status());
  const reachable = cas.find((c) => c.reachable);
  const ca = reachable ?? cas[0]!;
  const m = parts.marathon?.source.status();
  return {
    now: (parts.now ?? Date.now)(),
    startedAt: parts.startedAt,
    startupGraceMs: parts.startupGraceMs,
    storageError,
    ca: { reachable: ca.reachable, lastError: ca.lastError },
    ...(cas.length > 1
      ? { cas: cas.map((c) => ({ directoryUrl: c.directoryUrl, reachable: c.reachable, lastError: c.lastError })) }
      : {}),
    marathon: m && {
      maxAgeMs: parts.marathon!.maxAgeMs,
      lastSnapshotAt: m.lastSnapshotAt?.getTime(),
      stream: m.stream,
      lastError: m.lastError?.message,
    },
    ...(parts.zookeeper ? { zookeeper: parts.zookeeper() } : {}),
  };
}

/** The /health answer: the parts' facts, evaluated. */
export async function checkHealth(parts: HealthParts): Promise<Health> {
  return evaluateHealth(await gatherHealthFacts(parts));
}
