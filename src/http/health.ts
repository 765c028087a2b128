/**
 * /health: a real health check (0.6.1 answered a permanent 501). Pure evaluation of gathered facts,
 * so the thresholds are table-tested; `main.ts` gathers the facts.
 */

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
}

export interface Health {
  readonly healthy: boolean;
  readonly checks: Record<string, Check>;
}

export function evaluateHealth(f: HealthFacts): Health {
  const starting = f.now - f.startedAt < f.startupGraceMs;
  const checks: Record<string, Check> = {
    storage: f.storageError
      ? { ok: false, detail: `storage not writable: ${f.storageError}` }
      : { ok: true, detail: 'writable' },
    ca: f.ca.reachable
      ? { ok: true, detail: 'reachable' }
      : {
          ok: starting,
          detail: `${starting ? 'starting: ' : ''}ACME server not reachable${f.ca.lastError ? `: ${f.ca.lastError}` : ''}`,
        },
  };
  if (f.marathon) {
    const m = f.marathon;
    if (m.lastSnapshotAt === undefined) {
      checks.marathon_snapshot = {
        ok: starting,
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
    checks.event_stream =
      stream === 'disconnected' && !starting
        ? { ok: false, detail: `event stream disconnected${m.lastError ? `: ${m.lastError}` : ''}` }
        : { ok: true, detail: stream };
  }
  return { healthy: Object.values(checks).every((c) => c.ok), checks };
}
