/**
 * Reading the CA's answers: JSON bodies, the Location header, Retry-After, and the shape checks of the
 * CA's objects (RFC 8555 §7.1.3-§7.1.5). The checks cover only what the client relies on; other members
 * pass through unchanged. Every failure is an AppError ACME_BAD_RESPONSE naming the URL.
 */
import { AppError } from '../lib/errors.js';
import { ACME_CODES, parseRetryAfterHeader } from './errors.js';
import type { HttpResponse } from './transport.js';

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export interface AcmeIdentifier {
  type: string;
  value: string;
}
export interface AcmeOrder {
  status: OrderStatus;
  identifiers: AcmeIdentifier[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  expires?: string;
  profile?: string;
  error?: unknown;
}
export interface AcmeChallenge {
  type: string;
  url: string;
  status: string;
  token?: string;
  error?: unknown;
  validated?: string;
}
export interface AcmeAuthorization {
  status: 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
  identifier: AcmeIdentifier;
  challenges: AcmeChallenge[];
  wildcard?: boolean;
  expires?: string;
}
/** A polled object with the CA's Retry-After. */
export interface Fetched<T> {
  value: T;
  retryAfter?: Date;
}

/** The Location header as an absolute URL (RFC 8555 §7.3, §7.4); AppError ACME_BAD_RESPONSE otherwise. */
export function location(res: HttpResponse, url: string, operation: string): string {
  const loc = res.header('location');
  if (!loc || !isAbsoluteUrl(loc)) {
    throw new AppError(ACME_CODES.badResponse, `${operation} answered without an absolute Location`, {
      details: { url, status: res.status, location: loc ?? null },
    });
  }
  return loc;
}

function isAbsoluteUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/** The body as JSON; AppError ACME_BAD_RESPONSE (with the parse error as cause) otherwise. */
export function parseJson(res: HttpResponse, url: string): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    throw new AppError(ACME_CODES.badResponse, 'ACME response is not JSON', {
      cause: err,
      details: { url, status: res.status },
    });
  }
}

/** The checked body, with the CA's Retry-After when it sent one. */
export function fetched<T>(res: HttpResponse, url: string, check: (body: unknown, url: string) => T): Fetched<T> {
  const retryAfter = parseRetryAfterHeader(res.header('retry-after'));
  return { value: check(parseJson(res, url), url), ...(retryAfter ? { retryAfter } : {}) };
}

function badShape(what: string, field: string, url: string): AppError {
  return new AppError(ACME_CODES.badResponse, `ACME ${what} is malformed (${field})`, { details: { url, field } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** An order object (§7.1.3): status, authorizations (URLs), finalize (URL); certificate a URL if present. */
export function checkOrder(body: unknown, url: string): AcmeOrder {
  if (!isObject(body)) throw badShape('order', 'not an object', url);
  if (typeof body['status'] !== 'string') throw badShape('order', 'status', url);
  if (!isStringArray(body['authorizations'])) throw badShape('order', 'authorizations', url);
  if (typeof body['finalize'] !== 'string') throw badShape('order', 'finalize', url);
  if (body['certificate'] !== undefined && typeof body['certificate'] !== 'string')
    throw badShape('order', 'certificate', url);
  return body as unknown as AcmeOrder;
}

/** The challenge types of RFC 8555 §8.3-8.4 and RFC 8737: checked strictly; any other type is ignored. */
const KNOWN_CHALLENGE_TYPES: ReadonlySet<string> = new Set(['http-01', 'dns-01', 'tls-alpn-01']);

/**
 * An authorization object (§7.1.4): status, identifier.value, challenges. A challenge of a known type
 * must have type/url/status (and a string token if any); a challenge of any other type
 * (`dns-persist-01`, which has no `token`, or one not invented yet) is passed through unchecked, and an
 * entry that is not even an object with a type is dropped: a new challenge type must never break
 * the authorizations we can solve (clients that required `token` broke when staging offered
 * dns-persist-01, landscape-2026-12 §1.5).
 */
export function checkAuthorization(body: unknown, url: string): AcmeAuthorization {
  if (!isObject(body)) throw badShape('authorization', 'not an object', url);
  if (typeof body['status'] !== 'string') throw badShape('authorization', 'status', url);
  const id = body['identifier'];
  if (!isObject(id) || typeof id['value'] !== 'string') throw badShape('authorization', 'identifier', url);
  const challenges = body['challenges'];
  if (!Array.isArray(challenges)) throw badShape('authorization', 'challenges', url);
  const kept: unknown[] = [];
  for (const c of challenges as unknown[]) {
    if (!isObject(c) || typeof c['type'] !== 'string') continue;
    if (KNOWN_CHALLENGE_TYPES.has(c['type'])) checkChallenge(c, url, 'authorization');
    kept.push(c);
  }
  return { ...body, challenges: kept } as unknown as AcmeAuthorization;
}

/** A challenge object (§7.1.5): type, url, status strings; token a string if present. */
export function checkChallenge(body: unknown, url: string, what = 'challenge'): AcmeChallenge {
  if (!isObject(body)) throw badShape(what, 'challenge not an object', url);
  for (const k of ['type', 'url', 'status'] as const) {
    if (typeof body[k] !== 'string') throw badShape(what, `challenge ${k}`, url);
  }
  if (body['token'] !== undefined && typeof body['token'] !== 'string') throw badShape(what, 'challenge token', url);
  return body as unknown as AcmeChallenge;
}
