/**
 * `--marathon` URLs → endpoints: credentials split off (`user:pass@` → a Basic Authorization header,
 * lib/urls `splitUserinfo`), query and fragment dropped, the base path kept, and a log-safe display
 * form. Pure.
 */
import { AppError } from '../../lib/errors.js';
import { redactUrl, splitUserinfo } from '../../lib/urls.js';

export interface MarathonEndpoint {
  /** Base URL without credentials, query or fragment. */
  readonly base: URL;
  /** The base path without trailing slash (`''` or e.g. `/marathon`); request paths are appended. */
  readonly basePath: string;
  /** Log-safe form (no credentials). */
  readonly display: string;
  /** `Basic ...` from the URL's userinfo, if any. */
  readonly basicAuth?: string;
}

/**
 * Parse `--marathon` (comma-separated string or list). Entries are trimmed; empty entries dropped.
 * Throws AppError CONFIG_INVALID for an entry that is not an http(s) URL.
 */
export function parseMarathonUrls(input: string | readonly string[]): MarathonEndpoint[] {
  const entries = (typeof input === 'string' ? input.split(',') : input.flatMap((s) => s.split(',')))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new AppError('CONFIG_INVALID', 'no Marathon URL given');
  return entries.map((entry) => {
    let parsed: URL;
    try {
      parsed = new URL(entry);
    } catch (err) {
      throw new AppError('CONFIG_INVALID', 'invalid Marathon URL', { cause: err, details: { url: redactUrl(entry) } });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new AppError('CONFIG_INVALID', 'Marathon URL must be http or https', {
        details: { url: redactUrl(entry) },
      });
    }
    const { url, authorization: basicAuth } = splitUserinfo(parsed);
    url.hash = '';
    url.search = '';
    const basePath = url.pathname.replace(/\/+$/, '');
    const display = `${url.protocol}//${url.host}${basePath}`;
    return basicAuth === undefined ? { base: url, basePath, display } : { base: url, basePath, display, basicAuth };
  });
}
