/**
 * Turn any thrown value into the facts the failure policy needs. Duck-typed on purpose: the reconciler
 * depends on the Issuer contract (errors carry `code`; ACME problems add `type` — already the short
 * form, e.g. `rateLimited` — `detail` and `retryAfter`), not on the ACME module's classes.
 */
import type { FailureFacts } from '../domain/policy.js';

export function failureFacts(err: unknown): FailureFacts {
  const e = (err ?? {}) as {
    code?: unknown;
    type?: unknown;
    detail?: unknown;
    message?: unknown;
    retryAfter?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  const type = typeof e.type === 'string' && e.type !== '' ? e.type : undefined;
  const detail =
    typeof e.detail === 'string' && e.detail ? e.detail : typeof e.message === 'string' ? e.message : String(err);
  const retryAfter = e.retryAfter instanceof Date && !Number.isNaN(e.retryAfter.getTime()) ? e.retryAfter : undefined;
  return { code, detail, ...(type ? { type } : {}), ...(retryAfter ? { retryAfter } : {}) };
}
