/**
 * /health: a real health check (0.6.1 answered a permanent 501). `gatherHealthFacts` asks each part
 * for its own status (the store's writability, the Marathon source's status, the issuer's status);
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
  readonly ca: { readonly reachable: boolean; readonly lastError?: string };
  /** How long after start a missing first snapshot / CA contact is still "starting", not failing. */
  readonly startupGraceMs: number;
}

export interface Check {
  readonly ok: boolean;
  readonly detail: string;
  /** Not ok yet, within the start-up grace: reported, but the answer stays 200 with status `starting`. */
  readonly starting?: boolean;
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
  if (f.marathon) {
    const m = f.marathon;
    if (m.lastSnapshotAt === undefined) {
      // Never `ok: true` for something that has not happened: within the grace it is `starting`.
      checks.marathon_snapshot = {
        ok: false,
        ...(starting ? { starting: true } : {}),
        detail: `${starting ? 'starting: ' : ''}no snapshot of Marathon apps yet${m.lastError ? `: ${m.lastError}` : ''}`,
      };
    } else {
      const age = f.now - m.lastSnapshotAt;
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
  const failing = Object.values(checks).filter((c) => !c.ok);
  const healthy = failing.every((c) => c.starting === true);
  const status = !healthy ? 'unhealthy' : failing.length > 0 ? 'starting' : 'ok';
  return { healthy, status, checks };
}

/** The parts whose status /health reports, and its thresholds. */
export interface HealthParts {
  readonly store: Pick<Store, 'checkWritable'>;
  readonly issuer: Pick<Issuer, 'status'>;
  /** The Marathon source, when Marathon is configured, and the age beyond which its snapshot is stale. */
  readonly marathon?: { readonly source: Pick<Source, 'status'>; readonly maxAgeMs: number };
  /** Process start (epoch ms). */
  readonly startedAt: number;
  readonly startupGraceMs: number;
  /** Injected for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** Ask each part for its status. Never rejects: an unwritable store is a fact, not an error. */
export async function gatherHealthFacts(parts: HealthParts): Promise<HealthFacts> {
  const storageError = await parts.store.checkWritable().then(
    () => undefined,
    (err: unknown) => describeError(err).message,
  );
  const ca = parts.issuer.status();
  const m = parts.marathon?.source.status();
  return {
    now: (parts.now ?? Date.now)(),
    startedAt: parts.startedAt,
    startupGraceMs: parts.startupGraceMs,
    storageError,
    ca: { reachable: ca.reachable, lastError: ca.lastError },
    marathon: m && {
      maxAgeMs: parts.marathon!.maxAgeMs,
      lastSnapshotAt: m.lastSnapshotAt?.getTime(),
      stream: m.stream,
      lastError: m.lastError?.message,
    },
  };
}

/** The /health answer: the parts' facts, evaluated. */
export async function checkHealth(parts: HealthParts): Promise<Health> {
  return evaluateHealth(await gatherHealthFacts(parts));
}
