/**
 * The ACME directory (RFC 8555 §7.1.1) with the extensions this client uses: `renewalInfo` (RFC 9773 §4)
 * and `meta.profiles` (draft-ietf-acme-profiles §3). Only what the client reads is kept: `newAuthz`
 * (pre-authorization, §7.4.1), `meta.website` and `meta.caaIdentities` are ignored.
 */
import { AppError } from '../lib/errors.js';
import { ACME_CODES } from './errors.js';

export interface Directory {
  readonly newNonce: string;
  readonly newAccount: string;
  readonly newOrder: string;
  readonly revokeCert: string;
  readonly keyChange: string;
  readonly renewalInfo?: string;
  readonly meta: DirectoryMeta;
}

/** What the CA says about itself, as exposed to operators (status page, startup log). */
export interface DirectoryMeta {
  readonly termsOfService?: string;
  /** Profile name → description (empty when the CA has no profiles). */
  readonly profiles: Readonly<Record<string, string>>;
  readonly externalAccountRequired: boolean;
  /** True when the directory has a `renewalInfo` URL (ARI, RFC 9773). */
  readonly renewalInfo: boolean;
}

const REQUIRED = ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'] as const;

/** Validate a directory JSON object; AppError ACME_BAD_RESPONSE when a required URL is missing. */
export function parseDirectory(raw: unknown, url: string): Directory {
  const d = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  for (const k of REQUIRED) {
    if (typeof d[k] !== 'string')
      throw new AppError(ACME_CODES.badResponse, 'ACME directory lacks a required URL', { details: { url, field: k } });
  }
  const m = (typeof d['meta'] === 'object' && d['meta'] !== null ? d['meta'] : {}) as Record<string, unknown>;
  const profiles: Record<string, string> = {};
  if (typeof m['profiles'] === 'object' && m['profiles'] !== null) {
    for (const [name, desc] of Object.entries(m['profiles'] as Record<string, unknown>))
      profiles[name] = typeof desc === 'string' ? desc : '';
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const meta: DirectoryMeta = {
    ...(str(m['termsOfService']) ? { termsOfService: str(m['termsOfService'])! } : {}),
    profiles,
    externalAccountRequired: m['externalAccountRequired'] === true,
    renewalInfo: typeof d['renewalInfo'] === 'string',
  };
  return {
    newNonce: d['newNonce'] as string,
    newAccount: d['newAccount'] as string,
    newOrder: d['newOrder'] as string,
    revokeCert: d['revokeCert'] as string,
    keyChange: d['keyChange'] as string,
    ...(str(d['renewalInfo']) ? { renewalInfo: str(d['renewalInfo'])! } : {}),
    meta,
  };
}
