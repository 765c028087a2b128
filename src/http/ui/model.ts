/**
 * What the status page shows, derived from the `/status` model (reconciler/report.ts, http/status.ts)
 * and `/health`. Pure functions of that data and the time: no I/O. The types below are the page's own
 * view of those documents (the `http` room does not import the reconciler); every field is optional
 * because the page must render whatever a newer or older daemon sends.
 */

/** One requester of a certificate: a Marathon app and port, or a `--domains` entry. */
export interface UiRequester {
  readonly source?: string;
  readonly appId?: string;
  readonly portIndex?: number;
}

/** One certificate, as `/status` lists it. */
export interface UiCertificate {
  readonly name: string;
  readonly names?: readonly string[];
  readonly state?: string;
  readonly requestedBy?: readonly UiRequester[];
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly serial?: string;
  readonly issuer?: string;
  readonly ca?: string;
  readonly lastSuccess?: string;
  readonly renewAt?: string;
  readonly failures?: number;
  readonly lastError?: {
    readonly code?: string;
    readonly type?: string;
    readonly detail?: string;
    readonly at?: string;
    readonly unpauseUrl?: string;
  };
  readonly nextAttempt?: string;
  readonly paused?: boolean;
  readonly unwantedSince?: string;
  readonly removeAt?: string;
  readonly kept?: boolean;
  readonly deliveryPending?: boolean;
  readonly job?: string;
}

/** A rejected label or app. */
export interface UiProblem {
  readonly source?: string;
  readonly appId?: string;
  readonly portIndex?: number;
  readonly label?: string;
  readonly value?: string;
  readonly code?: string;
  readonly reason?: string;
}

export interface UiGate {
  readonly state?: string;
  readonly since?: string;
  readonly cause?: { readonly code?: string; readonly detail?: string };
  readonly probes?: number;
  readonly probeError?: string;
}

/** The `/status` document (the fields the page reads). `cluster` appears when HA is on. */
export interface UiStatus {
  readonly version?: string;
  readonly ready?: boolean;
  readonly certificates?: readonly UiCertificate[];
  readonly heldRemovals?: readonly string[];
  readonly problems?: readonly UiProblem[];
  readonly queue?: { readonly running?: number; readonly queued?: number };
  readonly gates?: Readonly<Record<string, UiGate>>;
  readonly cluster?: unknown;
}

/** The `/health` answer. */
export interface UiHealth {
  readonly healthy: boolean;
  readonly status?: string;
  readonly checks: Readonly<
    Record<string, { readonly ok: boolean; readonly detail: string; readonly starting?: boolean }>
  >;
}

/** What needs an operator, in the order the page shows it. */
export interface Attention {
  /** Certificates whose last attempt failed, soonest next attempt first. */
  readonly failing: readonly UiCertificate[];
  /** Not failing, but past their renewal point (or expired), earliest expiry first. */
  readonly due: readonly UiCertificate[];
  readonly heldRemovals: readonly string[];
  /** Label problems grouped by app id (`static` for `--domains`), apps sorted. */
  readonly problemsByApp: ReadonlyArray<readonly [string, readonly UiProblem[]]>;
  /** Gates that make every order wait (CA or storage outage). */
  readonly waitingGates: ReadonlyArray<readonly [string, UiGate]>;
}

const time = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));

/** Its last order failed (whatever its state: a failing renewal of an expired certificate counts too). */
export function isFailing(c: UiCertificate): boolean {
  return c.state === 'failing' || ((c.failures ?? 0) > 0 && c.lastError !== undefined);
}

/**
 * Below its renewal point: `renewAt` is already relative to the certificate's own lifetime (a third of
 * it left, or the CA's ARI window), so a 6-day certificate is due after 4 days, not "expiring" all along.
 * Expired certificates are due too. Unwanted ones are not (they are not renewed).
 */
export function isDue(c: UiCertificate, now: number): boolean {
  if (c.state === 'unwanted' || c.state === 'held') return false;
  if (c.state === 'expired') return true;
  const at = time(c.renewAt);
  return !Number.isNaN(at) && at <= now;
}

/**
 * The share of its lifetime a certificate has left (0..1), when its start is known; undefined otherwise.
 */
export function lifetimeLeft(c: UiCertificate, now: number): number | undefined {
  const start = time(c.notBefore);
  const end = time(c.notAfter);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return undefined;
  return Math.min(1, Math.max(0, (end - now) / (end - start)));
}

function byTime(key: (c: UiCertificate) => string | undefined) {
  return (a: UiCertificate, b: UiCertificate): number => {
    const x = time(key(a));
    const y = time(key(b));
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    return x - y || a.name.localeCompare(b.name);
  };
}

/** What needs attention now. */
export function attention(s: UiStatus, now: number): Attention {
  const certs = s.certificates ?? [];
  const failing = certs.filter(isFailing).sort(byTime((c) => c.nextAttempt));
  const due = certs.filter((c) => !isFailing(c) && isDue(c, now)).sort(byTime((c) => c.notAfter));
  const groups = new Map<string, UiProblem[]>();
  for (const p of s.problems ?? []) {
    const key = p.appId ?? p.source ?? 'unknown';
    const list = groups.get(key) ?? [];
    list.push(p);
    groups.set(key, list);
  }
  const waitingGates = Object.entries(s.gates ?? {}).filter(([, g]) => g.state === 'waiting');
  return {
    failing,
    due,
    heldRemovals: s.heldRemovals ?? [],
    problemsByApp: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)),
    waitingGates,
  };
}

/** A requester as one short text: `/team/web port 0`, `static`. */
export function requesterText(r: UiRequester): string {
  if (r.appId === undefined) return r.source ?? 'unknown';
  return r.portIndex === undefined ? r.appId : `${r.appId} port ${r.portIndex}`;
}

/** The lower-case text the search box matches: the names and the app ids. */
export function searchText(c: UiCertificate): string {
  const apps = (c.requestedBy ?? []).map((r) => r.appId ?? r.source ?? '');
  return [c.name, ...(c.names ?? []), ...apps].join(' ').toLowerCase();
}

/** A duration as a short human text: `in 4 min`, `3 h ago`. */
export function relative(iso: string | undefined, now: number): string {
  const t = time(iso);
  if (Number.isNaN(t)) return '';
  const d = t - now;
  const a = Math.abs(d);
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  const [ms, unit] = units.find(([u]) => a >= u) ?? [1000, 's'];
  const n = Math.round(a / ms);
  return d >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}
