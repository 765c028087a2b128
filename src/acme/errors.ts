/**
 * ACME failures as data (RFC 8555 §6.7 problem documents, RFC 7807).
 *
 * Every failure the ACME client reports is either an `AcmeError` (the CA answered with a problem, or an
 * order/authorization ended `invalid`) or an `AppError` with one of the `ACME_*` codes below (network,
 * timeout, malformed answer, local misconfiguration). Callers choose their retry policy from these fields;
 * the client itself never retries 429/5xx.
 */
import { AppError } from '../lib/errors.js';
import type { ErrorCode } from '../lib/error-codes.js';

/** Stable error codes of this module (part of the public surface: logs, state records, metrics). */
export const ACME_CODES = {
  /** The CA answered with an RFC 8555 problem document (see `AcmeError.type`). */
  problem: 'ACME_PROBLEM',
  /** An authorization or challenge ended `invalid` (see `AcmeError.type`, e.g. `unauthorized`). */
  authorizationFailed: 'ACME_AUTHORIZATION_FAILED',
  /** The order ended `invalid` after finalization. */
  orderInvalid: 'ACME_ORDER_INVALID',
  /** TCP/TLS/DNS failure talking to the CA. */
  network: 'ACME_NETWORK',
  /** A request, or the whole order, exceeded its time budget. */
  timeout: 'ACME_TIMEOUT',
  /** The caller's request cannot be ordered (e.g. no names). */
  badRequest: 'ACME_BAD_REQUEST',
  /** The CA's answer could not be understood (not JSON, missing header, unexpected status). */
  badResponse: 'ACME_BAD_RESPONSE',
  /** The account key cannot be used (unsupported type, too small, unreadable PEM). */
  accountKey: 'ACME_ACCOUNT_KEY',
  /** The CA requires External Account Binding and none is configured. */
  eabRequired: 'ACME_EAB_REQUIRED',
  /** The requested profile is not offered by the CA's directory. */
  profileUnsupported: 'ACME_PROFILE_UNSUPPORTED',
  /** No configured solver handles any challenge the CA offered. */
  noSolver: 'ACME_NO_SOLVER',
  /** A plain-http ACME URL for a host that is not loopback (RFC 8555 §6.1 requires HTTPS). */
  insecureUrl: 'ACME_INSECURE_URL',
  /** The certificate given (revoke, ARI) cannot be parsed or lacks what is needed. */
  badCertificate: 'ACME_BAD_CERTIFICATE',
} as const;

const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

/** One RFC 8555 §6.7.1 subproblem, with its identifier. */
export interface AcmeSubproblem {
  readonly type: string;
  readonly detail?: string;
  readonly identifier?: { readonly type: string; readonly value: string };
}

export interface AcmeErrorFields {
  /** Short problem type: `rateLimited`, `badNonce`, `unauthorized`, ... (full URN kept in `typeUrn`). */
  readonly type: string;
  readonly typeUrn?: string;
  readonly detail: string;
  /** HTTP status of the answer (0 when the problem came from an authorization/order object). */
  readonly status: number;
  readonly subproblems?: readonly AcmeSubproblem[];
  /** The URL that produced the problem. */
  readonly url?: string;
  /** Earliest time to try again, from `Retry-After` or the "retry after <time>" text. */
  readonly retryAfter?: Date;
  /**
   * The account is paused for these names (Let's Encrypt's "zombie client" pause: `rateLimited`, "Your
   * account is temporarily prevented from requesting certificates for ..."): waiting does not lift it,
   * only an operator visiting `unpauseUrl` does (landscape-2026-12 §1.2). Stop retrying the name.
   */
  readonly paused?: boolean;
  /** Where an operator lifts the pause (from the problem's detail), when it says. */
  readonly unpauseUrl?: string;
}

/**
 * A problem reported by the ACME server. `code` is `ACME_PROBLEM` for HTTP problem answers and
 * `ACME_AUTHORIZATION_FAILED` / `ACME_ORDER_INVALID` for objects that ended invalid.
 */
export class AcmeError extends AppError {
  readonly type: string;
  readonly typeUrn: string | undefined;
  readonly detail: string;
  readonly status: number;
  readonly subproblems: readonly AcmeSubproblem[];
  readonly url: string | undefined;
  readonly retryAfter: Date | undefined;
  /** See `AcmeErrorFields.paused`: true only for Let's Encrypt's pause, never for ordinary rate limits. */
  readonly paused: boolean;
  readonly unpauseUrl: string | undefined;

  constructor(fields: AcmeErrorFields, options: { code?: ErrorCode; cause?: unknown } = {}) {
    const code = options.code ?? ACME_CODES.problem;
    super(code, `ACME ${fields.type}: ${fields.detail}`, {
      cause: options.cause,
      details: {
        type: fields.type,
        status: fields.status,
        url: fields.url,
        retryAfter: fields.retryAfter?.toISOString(),
        ...(fields.paused === true ? { paused: true, unpause_url: fields.unpauseUrl } : {}),
      },
    });
    this.name = 'AcmeError';
    this.type = fields.type;
    this.typeUrn = fields.typeUrn;
    this.detail = fields.detail;
    this.status = fields.status;
    this.subproblems = fields.subproblems ?? [];
    this.url = fields.url;
    this.retryAfter = fields.retryAfter;
    this.paused = fields.paused === true;
    this.unpauseUrl = fields.unpauseUrl;
  }
}

/**
 * Let's Encrypt's pause (landscape-2026-12 §1.2): a `rateLimited` problem whose detail says the account
 * is "temporarily prevented from requesting certificates" and points at an unpause page. Returns the
 * unpause URL when the detail has one (`paused` alone when it has none), or undefined when not paused.
 */
export function pauseOf(type: string, detail: string): { paused: true; unpauseUrl?: string } | undefined {
  if (type !== 'rateLimited' || !/temporarily prevented from requesting|\/unpause\b/i.test(detail)) return undefined;
  const urls = detail.match(/https:\/\/[^\s"'<>]+/g) ?? [];
  const url = (urls.find((u) => /unpause/i.test(u)) ?? urls[0])?.replace(/[.,;:)\]]+$/, '');
  return url === undefined ? { paused: true } : { paused: true, unpauseUrl: url };
}

/** `urn:ietf:params:acme:error:rateLimited` → `rateLimited`; other URIs are kept whole. */
export function shortProblemType(type: unknown): string {
  if (typeof type !== 'string' || type.length === 0) return 'unknown';
  return type.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : type;
}

/**
 * The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7): IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and
 * asctime (`Sun Nov  6 08:49:37 1994`). Checked before `Date.parse`, which reads almost anything
 * (`"3600.0"` would be the year 3600).
 */
const HTTP_DATE = [
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * Parse an HTTP `Retry-After` value (RFC 9110 §10.2.3) relative to `now`: delay-seconds, or an
 * HTTP-date in any of its three forms (asctime is read as UTC). Returns undefined when absent or
 * malformed (a fraction, a sign, any other date format).
 */
export function parseRetryAfterHeader(value: string | undefined | null, now: Date = new Date()): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return new Date(now.getTime() + Number(v) * 1000);
  if (!HTTP_DATE.some((re) => re.test(v))) return undefined;
  const t = Date.parse(HTTP_DATE[2]!.test(v) ? `${v} GMT` : v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * Let's Encrypt writes rate-limit details as "... retry after 2025-01-29 20:53:53 UTC: see ..." or with an
 * RFC 3339 time ("retry after 2025-01-29T20:53:53Z"). Returns the time, or undefined.
 */
export function parseRetryAfterText(detail: string | undefined): Date | undefined {
  if (!detail) return undefined;
  const m = /retry after (\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})?/i.exec(
    detail,
  );
  if (!m) return undefined;
  const zone =
    m[3] === undefined || /^(z|utc)$/i.test(m[3])
      ? 'Z'
      : m[3].includes(':')
        ? m[3]
        : `${m[3].slice(0, 3)}:${m[3].slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function parseSubproblems(raw: unknown): AcmeSubproblem[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null)
    .map((s) => {
      const id = s['identifier'] as { type?: unknown; value?: unknown } | undefined;
      return {
        type: shortProblemType(s['type']),
        ...(typeof s['detail'] === 'string' ? { detail: s['detail'] } : {}),
        ...(id && typeof id.type === 'string' && typeof id.value === 'string'
          ? { identifier: { type: id.type, value: id.value } }
          : {}),
      };
    });
}

/** Fields of an RFC 8555 problem object (from a response body or an authorization's `error`). */
export function problemFields(
  problem: unknown,
  context: { status: number; url?: string; retryAfterHeader?: string | null; now?: Date },
): AcmeErrorFields {
  const p = (typeof problem === 'object' && problem !== null ? problem : {}) as Record<string, unknown>;
  const detail =
    typeof p['detail'] === 'string'
      ? p['detail']
      : typeof p['title'] === 'string'
        ? p['title']
        : `HTTP ${context.status}`;
  const retryAfter = parseRetryAfterHeader(context.retryAfterHeader, context.now) ?? parseRetryAfterText(detail);
  const type = shortProblemType(p['type']);
  return {
    type,
    ...pauseOf(type, detail),
    ...(typeof p['type'] === 'string' ? { typeUrn: p['type'] } : {}),
    detail,
    status: context.status,
    subproblems: parseSubproblems(p['subproblems']),
    ...(context.url !== undefined ? { url: context.url } : {}),
    ...(retryAfter ? { retryAfter } : {}),
  };
}

/** Build the `AcmeError` for an HTTP problem response. */
export function problemFromResponse(
  body: unknown,
  context: { status: number; url: string; retryAfterHeader?: string | null; now?: Date },
): AcmeError {
  return new AcmeError(problemFields(body, context));
}
