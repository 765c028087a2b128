/**
 * Whether a failed order at one CA is tried at the next CA of `--acme` in the same attempt (issue 13).
 *
 * Falls through — another CA could fix it: the CA unreachable (network, a request's own timeout, bad
 * nonces), a 5xx, `rateLimited` (the CA's limits, not the names), a problem of the account at this CA
 * (External Account Binding missing or refused, account key, anything before the order existed: the
 * directory, the account lookup), `caa` (the names' CAA records do not allow this CA) and
 * `rejectedIdentifier` (this CA's policy refuses a name). Does not fall through: a validation failure
 * that is ours (`unauthorized`, `connection`, `dns`, `incorrectResponse`, `tls`, ...) — the next CA
 * would fail the same way and only burn its limits — nor a request no CA would take (`malformed`, no
 * names), nor anything not known to be the CA's.
 *
 * Pure and duck-typed: it reads `code`, `type`, `status`, `subproblems` and `outage` of the error, as
 * the reconciler's failure scoping does.
 */

/** How far the order got at that CA (as in the reconciler: nothing sent / newOrder sent / accepted). */
export type FallbackPhase = 'preparing' | 'sending' | 'created';

export interface FallbackVerdict {
  /** Try the same certificate at the next configured CA now. */
  readonly next: boolean;
  /** Why, for logs and events: a constant. */
  readonly reason:
    | 'unreachable'
    | 'server-error'
    | 'rate-limited'
    | 'account'
    | 'caa'
    | 'rejected-identifier'
    | 'validation'
    | 'request'
    | 'other';
}

/** Error codes of a CA that did not answer. */
const UNREACHABLE_CODES = new Set(['ACME_NETWORK']);
/** Codes of a problem with our account at that CA. */
const ACCOUNT_CODES = new Set(['ACME_EAB_REQUIRED', 'ACME_ACCOUNT_KEY', 'ACME_PROFILE_UNSUPPORTED']);
/** Problem types of the account at that CA (RFC 8555 §6.7). */
const ACCOUNT_TYPES = new Set(['externalAccountRequired', 'accountDoesNotExist', 'userActionRequired', 'badPublicKey']);
/** Validation failures: ours, the next CA would see the same. */
const VALIDATION_TYPES = new Set(['unauthorized', 'connection', 'dns', 'incorrectResponse', 'tls']);
/** Requests no CA would take. */
const REQUEST_CODES = new Set(['ACME_BAD_REQUEST', 'ACME_NO_SOLVER', 'ACME_INSECURE_URL']);

interface ErrorLike {
  code?: unknown;
  type?: unknown;
  status?: unknown;
  subproblems?: unknown;
  outage?: unknown;
  details?: unknown;
}

/** The verdict for `err` at a CA, given how far the order got there. */
export function fallbackVerdict(err: unknown, phase: FallbackPhase): FallbackVerdict {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const type = typeof e.type === 'string' ? e.type : '';
  if (REQUEST_CODES.has(code) || type === 'malformed') return { next: false, reason: 'request' };
  const validation = VALIDATION_TYPES.has(type) || subTypes(e).some((t) => VALIDATION_TYPES.has(t));
  if (validation && phase === 'created') return { next: false, reason: 'validation' };
  if (UNREACHABLE_CODES.has(code) || type === 'badNonce' || isRequestTimeout(e))
    return { next: true, reason: 'unreachable' };
  if (typeof e.status === 'number' && e.status >= 500) return { next: true, reason: 'server-error' };
  if (type === 'serverInternal') return { next: true, reason: 'server-error' };
  if (type === 'rateLimited') return { next: true, reason: 'rate-limited' };
  if (ACCOUNT_CODES.has(code) || ACCOUNT_TYPES.has(type)) return { next: true, reason: 'account' };
  const policy = [type, ...subTypes(e)].filter((t) => t !== 'compound' && t !== '');
  if (policy.length > 0 && policy.every((t) => t === 'caa' || t === 'rejectedIdentifier'))
    return { next: true, reason: policy.includes('caa') ? 'caa' : 'rejected-identifier' };
  // Nothing of this order existed yet: the directory, the account (a refused EAB is `unauthorized` here).
  if (phase === 'preparing') return { next: true, reason: 'account' };
  if (validation) return { next: false, reason: 'validation' };
  return { next: false, reason: 'other' };
}

function subTypes(e: ErrorLike): string[] {
  if (!Array.isArray(e.subproblems)) return [];
  return e.subproblems
    .map((s) => (typeof s === 'object' && s !== null ? (s as { type?: unknown }).type : undefined))
    .filter((t): t is string => typeof t === 'string');
}

/** One request's own timeout (it names its operation), not the time budget of a whole order. */
function isRequestTimeout(e: ErrorLike): boolean {
  if (e.code !== 'ACME_TIMEOUT') return false;
  const details = e.details as { operation?: unknown } | undefined;
  return typeof details?.operation === 'string';
}
