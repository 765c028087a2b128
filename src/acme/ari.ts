/**
 * ACME Renewal Information (RFC 9773): the renewalInfo URL of a certificate and the reading of its answer.
 * The request itself is the client's (`AcmeClient.renewalInfo`, an unauthenticated GET).
 */
import type { RenewalInfo } from '../domain/types.js';
import { AppError } from '../lib/errors.js';
import { ACME_CODES, parseRetryAfterHeader } from './errors.js';
import type { HttpResponse } from './transport.js';

/** `<renewalInfo>/<certId>` (RFC 9773 §4.1), whatever trailing slashes the directory's URL has. */
export function renewalInfoUrl(renewalInfo: string, certId: string): string {
  return `${renewalInfo.replace(/\/+$/, '')}/${certId}`;
}

/** RFC 9773 §4.2 response: `suggestedWindow` {start,end} (end must be after start), optional `explanationURL`. */
export function parseRenewalInfo(
  body: unknown,
  res: Pick<HttpResponse, 'header'>,
  url: string,
  now = Date.now(),
): RenewalInfo {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const w = (
    typeof b['suggestedWindow'] === 'object' && b['suggestedWindow'] !== null ? b['suggestedWindow'] : {}
  ) as Record<string, unknown>;
  const start = new Date(String(w['start']));
  const end = new Date(String(w['end']));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end.getTime() <= start.getTime()) {
    throw new AppError(ACME_CODES.badResponse, 'renewalInfo has no valid suggestedWindow', { details: { url } });
  }
  const retryAfter = parseRetryAfterHeader(res.header('retry-after'), new Date(now));
  return {
    start,
    end,
    ...(typeof b['explanationURL'] === 'string' ? { explanationUrl: b['explanationURL'] } : {}),
    ...(retryAfter ? { retryAfterMs: Math.max(0, retryAfter.getTime() - now) } : {}),
  };
}
