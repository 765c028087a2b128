/**
 * Turn any thrown value into the facts the failure policy needs, and decide whose failure it was.
 * Duck-typed on purpose: the reconciler depends on the Issuer and Store contracts (errors carry `code`;
 * ACME problems add `type` — already the short form, e.g. `rateLimited` — `detail`, `status`,
 * `retryAfter`; file-system errors carry their errno as `code`), not on the adapters' classes.
 */
import type { FailureFacts } from '../domain/policy.js';
import type { Subproblem } from '../domain/types.js';

/**
 * Whose failure: `certificate` (counted against it: backoff, validation budget), `ca` (the CA was not
 * reachable, or a step every order shares failed, or another dependency whose error says
 * `outage: true` — a DNS server, ZooKeeper: orders wait on a probe of the CA, nothing is counted),
 * `storage` (our own storage failed: orders wait until it is writable, nothing is counted).
 */
export type FailureScope = 'certificate' | 'ca' | 'storage';

/**
 * How far the order got: `preparing` (nothing sent for this order yet: directory, account, nonce are
 * shared by every order), `sending` (newOrder sent, not accepted), `created` (the CA accepted it).
 */
export type OrderPhase = 'preparing' | 'sending' | 'created';

/** errno values that mean the storage itself failed (full, read-only, permissions, I/O). */
const STORAGE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EMFILE', 'ENFILE']);
const STORAGE_CODES = new Set(['STORAGE_NOT_WRITABLE', 'STORAGE_CHECK_FAILED']);
/** Error codes of a CA that did not answer (a request's own timeout, not a whole order's). */
const UNREACHABLE_CODES = new Set(['ACME_NETWORK']);
/** Failures of the caller's request itself, whatever the phase. */
const REQUEST_CODES = new Set(['ACME_BAD_REQUEST']);

interface ErrorLike {
  code?: unknown;
  type?: unknown;
  detail?: unknown;
  message?: unknown;
  status?: unknown;
  retryAfter?: unknown;
  paused?: unknown;
  unpauseUrl?: unknown;
  subproblems?: unknown;
  outage?: unknown;
  details?: unknown;
  cause?: unknown;
}

const asErrorLike = (err: unknown): ErrorLike => (typeof err === 'object' && err !== null ? (err as ErrorLike) : {});

export function failureFacts(err: unknown): FailureFacts {
  const e = asErrorLike(err);
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  const type = typeof e.type === 'string' && e.type !== '' ? e.type : undefined;
  const detail =
    typeof e.detail === 'string' && e.detail ? e.detail : typeof e.message === 'string' ? e.message : String(err);
  const retryAfter = e.retryAfter instanceof Date && !Number.isNaN(e.retryAfter.getTime()) ? e.retryAfter : undefined;
  const pause = pausedFacts(e, type, detail);
  const subproblems = subproblemsOf(e.subproblems);
  return {
    code,
    detail,
    ...(type ? { type } : {}),
    ...(retryAfter ? { retryAfter } : {}),
    ...pause,
    ...(subproblems.length > 0 ? { subproblems } : {}),
  };
}

/** An ACME error's subproblems, checked and cut to size (they come from the network). */
function subproblemsOf(raw: unknown): Subproblem[] {
  if (!Array.isArray(raw)) return [];
  const out: Subproblem[] = [];
  for (const p of raw.slice(0, 10) as { type?: unknown; detail?: unknown; identifier?: { value?: unknown } }[]) {
    if (typeof p?.type !== 'string') continue;
    const id = typeof p.identifier?.value === 'string' ? { identifier: p.identifier.value.slice(0, 253) } : {};
    const detail = typeof p.detail === 'string' ? { detail: p.detail.slice(0, 300) } : {};
    out.push({ type: p.type.slice(0, 100), ...detail, ...id });
  }
  return out;
}

/** An unpause link in a CA's detail (Let's Encrypt: `https://portal.letsencrypt.org/sfe/v1/unpause?jwt=…`). */
const UNPAUSE_URL = /https?:\/\/[^\s"'<>]*unpause[^\s"'<>]*/i;

/**
 * Let's Encrypt's pause of an identifier is a `rateLimited` problem without a retry time; its detail
 * says the account "is temporarily prevented from requesting certificates" and links an unpause page.
 * The ACME module may mark it itself (`paused`, `unpauseUrl`); the text is read defensively too.
 */
function pausedFacts(e: ErrorLike, type: string | undefined, detail: string): { paused?: true; unpauseUrl?: string } {
  const url =
    typeof e.unpauseUrl === 'string' && e.unpauseUrl
      ? e.unpauseUrl
      : UNPAUSE_URL.exec(detail)?.[0]?.replace(/[.,;)]+$/, '');
  const paused =
    e.paused === true ||
    (type === 'rateLimited' && (url !== undefined || /\bpaused\b|temporarily prevented/i.test(detail)));
  if (!paused) return {};
  return { paused: true, ...(url ? { unpauseUrl: url } : {}) };
}

/** The errno of a storage failure in `err` or its causes (ENOSPC, EROFS, EACCES, ...), if it is one. */
export function storageErrno(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, details, cause } = e as ErrorLike;
    if (typeof code === 'string' && STORAGE_ERRNOS.has(code)) return code;
    const errno = (details as { errno?: unknown } | undefined)?.errno;
    if (typeof errno === 'string') return errno;
    e = cause;
  }
  return undefined;
}

/** Whose failure `err` is, given how far the order got (see `FailureScope`). */
export function failureScope(err: unknown, phase: OrderPhase): FailureScope {
  const e = asErrorLike(err);
  const code = typeof e.code === 'string' ? e.code : '';
  if (STORAGE_CODES.has(code) || storageErrno(err) !== undefined) return 'storage';
  if (REQUEST_CODES.has(code)) return 'certificate';
  // Adapters of other dependencies (a DNS server for DNS-01, ZooKeeper) mark their own outages.
  if (e.outage === true) return 'ca';
  if (UNREACHABLE_CODES.has(code) || isRequestTimeout(e)) return 'ca';
  // A burst of bad nonces says nothing about the names ordered.
  if (e.type === 'badNonce') return 'ca';
  // Before the order existed: the CA's 5xx, or any failure of the steps every order shares.
  if (phase === 'preparing') return 'ca';
  if (phase === 'sending' && typeof e.status === 'number' && e.status >= 500) return 'ca';
  return 'certificate';
}

/** One request's own timeout (it names its operation), not the time budget of a whole order. */
function isRequestTimeout(e: ErrorLike): boolean {
  if (e.code !== 'ACME_TIMEOUT') return false;
  const details = e.details as { operation?: unknown } | undefined;
  return typeof details?.operation === 'string';
}
