/**
 * What the reconciler shows: one status record per certificate (for /status, the logs and the
 * metrics), and the metrics themselves. Pure functions of the reconciler's data.
 */
import { renewalTime } from '../domain/plan.js';
import type { CertSpec, CertState, Problem, Requester, StoredCert } from '../domain/types.js';
import type { CertificateSeries } from '../observe/certificate-gauges.js';
import type { Metrics } from '../observe/metrics.js';
import type { GateStatus } from './gate.js';
import type { EventSink } from '../domain/events.js';

/** One certificate as the status page and the API show it. */
export interface CertificateStatus {
  readonly name: string;
  readonly names: readonly string[];
  readonly requestedBy: CertSpec['requestedBy'];
  readonly state: CertificateState;
  readonly notAfter?: string;
  readonly notBefore?: string;
  /** Key type of the installed leaf. */
  readonly keyType?: string;
  /** Hex serial of the installed leaf. */
  readonly serial?: string;
  /**
   * Which CA issued the installed leaf: its ACME directory URL when recorded (as `ca`), else the leaf's
   * issuer DN (a certificate adopted from disk: its CA is known only by name).
   */
  readonly issuer?: string;
  /** Issuer DN of the installed leaf. */
  readonly issuerName?: string;
  /** ACME directory URL of the CA that issued it, when known (not for certificates adopted from disk). */
  readonly ca?: string;
  /** Last successful order and installation. */
  readonly lastSuccess?: string;
  /** When it will be renewed (ARI or two thirds of the lifetime, bounded by the last twentieth). */
  readonly renewAt?: string;
  /** Why then: `ari-window`, `two-thirds-lifetime`, or `last-twentieth` when that comes first. */
  readonly renewReason?: string;
  readonly failures: number;
  readonly lastError?: CertState['lastError'];
  readonly nextAttempt?: string;
  /** The CA paused orders for its names: lift it at `lastError.unpauseUrl`, then send SIGHUP. */
  readonly paused?: boolean;
  readonly unwantedSince?: string;
  /** When an unwanted certificate will be archived (unwantedSince + --remove-after). */
  readonly removeAt?: string;
  /** Issued by the CA but not written yet (storage failure): installed once it is writable, never re-ordered. */
  readonly kept?: boolean;
  /** Written, but the load balancers have not confirmed a reload since. */
  readonly deliveryPending?: boolean;
  readonly job?: string;
}

export const CERTIFICATE_STATES = ['valid', 'pending', 'failing', 'expired', 'unwanted', 'held'] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

export interface ReconcilerStatus {
  readonly ready: boolean;
  readonly lastPlanAt?: Date;
  readonly certificates: readonly CertificateStatus[];
  readonly unmanaged: readonly string[];
  readonly heldRemovals: readonly string[];
  readonly problems: readonly Problem[];
  readonly queue: { readonly running: number; readonly queued: number };
  /** Whether orders wait for the CA or the storage, since when and why. */
  readonly gates?: {
    readonly ca: GateStatus;
    readonly storage: GateStatus;
    /** Each CA's gate by directory URL (with several CAs). */
    readonly cas?: Readonly<Record<string, GateStatus>>;
  };
  readonly ariSupported?: boolean;
}

/** `ReconcilerStatus` whose certificates are built as they are read (once): for serialising /status. */
export interface StreamedReconcilerStatus extends Omit<ReconcilerStatus, 'certificates'> {
  readonly certificates: Iterable<CertificateStatus>;
}

export interface CertificateFacts {
  readonly name: string;
  readonly spec: CertSpec | undefined;
  readonly stored: StoredCert | undefined;
  readonly state: CertState | undefined;
  readonly held: boolean;
  /** The job on the queue for it, described. */
  readonly job?: string;
  /** Issued, waiting to be written. */
  readonly kept?: boolean;
  /** --remove-after, to show when an unwanted certificate goes. */
  readonly removeAfterMs?: number;
}

/** What `certificateStatuses` reads: the wanted specs, the records, and the queue's view of each name. */
export interface StatusInput {
  readonly desired: ReadonlyMap<string, CertSpec>;
  readonly records: {
    readonly stored: ReadonlyMap<string, StoredCert>;
    readonly states: ReadonlyMap<string, CertState>;
    readonly kept: ReadonlyMap<string, unknown>;
  };
  readonly held: readonly string[];
  /** The job on the queue for a name, described. */
  readonly job: (name: string) => string | undefined;
  readonly removeAfterMs: number;
  readonly now: number;
}

/**
 * The status of every certificate wanted, stored or remembered, sorted by name (the reference the
 * streamed and metric paths are tested against; the daemon streams them with `eachCertificateStatus`).
 */
export function certificateStatuses(i: StatusInput): CertificateStatus[] {
  return [...eachCertificateStatus(i)];
}

/**
 * `certificateStatuses`, built one at a time as they are read (the names are taken and sorted at the
 * first read): a /status of thousands of certificates then never holds them all.
 */
export function* eachCertificateStatus(i: StatusInput): Generator<CertificateStatus> {
  const { stored, states, kept } = i.records;
  const names = [...new Set([...i.desired.keys(), ...stored.keys(), ...states.keys()])].sort();
  const held = new Set(i.held);
  for (const name of names) {
    const job = i.job(name);
    yield certificateStatus(
      {
        name,
        spec: i.desired.get(name),
        stored: stored.get(name),
        state: states.get(name),
        held: held.has(name),
        ...(job ? { job } : {}),
        kept: kept.has(name),
        removeAfterMs: i.removeAfterMs,
      },
      i.now,
    );
  }
}

/** The state shown for a certificate. */
function stateOf(f: Pick<CertificateFacts, 'spec' | 'stored' | 'state' | 'held'>, now: number): CertificateState {
  const { spec, stored, state: st } = f;
  const failing = (st?.failures ?? 0) > 0;
  if (f.held) return 'held';
  if (!spec) return 'unwanted';
  if (!stored) return failing ? 'failing' : 'pending';
  if (stored.notAfter.getTime() <= now) return 'expired';
  return failing ? 'failing' : 'valid';
}

/** The ACME directory URL recorded as the issuer of the installed leaf (this serial), if any. */
function recordedCa(stored: StoredCert | undefined, st: CertState | undefined): string | undefined {
  return stored && st?.issuer && st.serial === stored.serial ? st.issuer : undefined;
}

/** When a wanted certificate will be renewed (ms) and why; undefined for self-signed or unwanted ones. */
function plannedRenewal(
  f: Pick<CertificateFacts, 'spec' | 'stored' | 'state'>,
): { at: number; reason: string } | undefined {
  const { spec, stored, state: st } = f;
  if (!spec || !stored || stored.selfSigned) return undefined;
  const r = renewalTime(stored, st);
  const at = r.at.getTime();
  const urgentAt = r.urgentAt.getTime();
  return { at: Math.min(at, urgentAt), reason: urgentAt < at ? 'last-twentieth' : r.reason };
}

export function certificateStatus(f: CertificateFacts, now: number): CertificateStatus {
  const { spec, stored, state: st } = f;
  const state = stateOf(f, now);
  const renewal = plannedRenewal(f);
  const ca = recordedCa(stored, st);
  const removeAt =
    st?.unwantedSince !== undefined && f.removeAfterMs !== undefined
      ? new Date(Date.parse(st.unwantedSince) + f.removeAfterMs).toISOString()
      : undefined;
  return {
    name: f.name,
    names: spec?.names ?? stored?.names ?? st?.names ?? [f.name],
    requestedBy: (spec?.requestedBy ?? []).map(shownRequester),
    state,
    ...(stored
      ? {
          notAfter: stored.notAfter.toISOString(),
          notBefore: stored.notBefore.toISOString(),
          keyType: stored.keyType,
          serial: stored.serial,
          issuer: ca ?? stored.issuer,
          issuerName: stored.issuer,
        }
      : {}),
    ...(ca ? { ca } : {}),
    ...(st?.lastSuccess ? { lastSuccess: st.lastSuccess } : {}),
    ...(renewal ? { renewAt: new Date(renewal.at).toISOString(), renewReason: renewal.reason } : {}),
    failures: st?.failures ?? 0,
    ...(st?.lastError ? { lastError: st.lastError } : {}),
    ...(st?.nextAttempt && Date.parse(st.nextAttempt) > now ? { nextAttempt: st.nextAttempt } : {}),
    ...(st?.paused ? { paused: true } : {}),
    ...(st?.unwantedSince ? { unwantedSince: st.unwantedSince } : {}),
    ...(removeAt && !spec ? { removeAt } : {}),
    ...(f.kept ? { kept: true } : {}),
    ...(st?.deliveryPending ? { deliveryPending: true } : {}),
    ...(f.job ? { job: f.job } : {}),
  };
}

/**
 * A requester as shown: a static entry's `portIndex` is only its position in `--domains` (no port), so
 * it is left out.
 */
function shownRequester(r: Requester): Requester {
  if (r.source !== 'static' || r.portIndex === undefined) return r;
  const { portIndex: _p, ...rest } = r;
  return rest;
}

/** What the metrics show of one certificate: the same figures as its `CertificateStatus`, as numbers. */
export interface CertificateMetricRow {
  readonly name: string;
  readonly state: CertificateState;
  readonly series: CertificateSeries;
  /** The recorded issuing CA of the installed leaf, 'unknown' when adopted from disk; undefined when none is installed. */
  readonly issuer: string | undefined;
}

/** The metric row of a certificate shown as `c` (tests compare the two paths; the daemon uses `metricRows`). */
export function metricRowOf(c: CertificateStatus): CertificateMetricRow {
  const seconds = (iso: string | undefined): number | undefined => (iso ? Date.parse(iso) / 1000 : undefined);
  return {
    name: c.name,
    state: c.state,
    series: {
      expiry: seconds(c.notAfter),
      renewal: seconds(c.renewAt),
      failures: c.failures,
      backoffUntil: seconds(c.nextAttempt) ?? 0,
    },
    issuer: c.serial !== undefined ? (c.ca ?? 'unknown') : undefined,
  };
}

/**
 * The metric row of every certificate `certificateStatuses` would show, unsorted, one at a time and
 * without building the status records (no ISO strings, nothing kept): a /metrics scrape of thousands of
 * certificates then leaves little garbage behind.
 */
export function* metricRows(i: Omit<StatusInput, 'job'>): Generator<CertificateMetricRow> {
  const { stored, states } = i.records;
  const held = new Set(i.held);
  const row = (name: string): CertificateMetricRow => {
    const f = { spec: i.desired.get(name), stored: stored.get(name), state: states.get(name), held: held.has(name) };
    const st = f.state;
    const next = st?.nextAttempt ? Date.parse(st.nextAttempt) : Number.NaN;
    return {
      name,
      state: stateOf(f, i.now),
      series: {
        expiry: f.stored ? f.stored.notAfter.getTime() / 1000 : undefined,
        renewal: seconds(plannedRenewal(f)?.at),
        failures: st?.failures ?? 0,
        backoffUntil: next > i.now ? next / 1000 : 0,
      },
      issuer: f.stored ? (recordedCa(f.stored, st) ?? 'unknown') : undefined,
    };
  };
  for (const name of i.desired.keys()) yield row(name);
  for (const name of stored.keys()) if (!i.desired.has(name)) yield row(name);
  for (const name of states.keys()) if (!i.desired.has(name) && !stored.has(name)) yield row(name);
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/**
 * Per-certificate gauges and the count by state and by issuer. The gauges take the whole current set
 * and re-render only what changed, so a certificate that is gone (removed, or forgotten before it was
 * ever issued) leaves no stale series behind and a scrape does not rebuild thousands of series.
 */
export function publishCertificateMetrics(m: Metrics, rows: Iterable<CertificateMetricRow>): void {
  const byState = new Map<string, number>();
  const byIssuer = new Map<string, number>();
  function* series(): Generator<readonly [string, CertificateSeries]> {
    for (const r of rows) {
      byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
      if (r.issuer !== undefined) byIssuer.set(r.issuer, (byIssuer.get(r.issuer) ?? 0) + 1);
      yield [r.name, r.series];
    }
  }
  m.certificateGauges.update(series());
  for (const s of CERTIFICATE_STATES) m.certificates.set({ state: s }, byState.get(s) ?? 0);
  m.certificatesByIssuer.reset();
  for (const [issuer, n] of byIssuer) m.certificatesByIssuer.set({ issuer }, n);
}

/** Rejected labels/apps of the merged snapshot, counted by problem code. */
export function publishProblemMetrics(m: Metrics, problems: readonly Problem[]): void {
  m.labelProblems.reset();
  const counts = new Map<string, number>();
  for (const p of problems) counts.set(p.code, (counts.get(p.code) ?? 0) + 1);
  for (const [code, n] of counts) m.labelProblems.set({ code }, n);
}

/** Publish the held set, and a `removal_held` event for each held name when the set changed. */
export function reportHeldRemovals(
  h: { readonly held: string[]; readonly previous: readonly string[]; readonly managed: number; readonly now: number },
  events: EventSink,
  metrics: Metrics | undefined,
): void {
  metrics?.removalsHeld.set(h.held.length);
  if (h.held.join(',') === h.previous.join(',')) return;
  const at = new Date(h.now).toISOString();
  for (const name of h.held) events.emit({ type: 'removal_held', name, at, held: h.held, managed: h.managed });
}
