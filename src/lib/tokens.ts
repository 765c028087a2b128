/**
 * API tokens: the tokens file format, hashing, and the constant-time check of a bearer token.
 *
 * File (`--api-tokens-file`): one token per line, `<name> <scope>[,<scope>...] <sha256-hex of the token>`;
 * blank lines and lines starting with `#` are ignored. The file holds only hashes, never a token.
 * Scopes: `read` (GET), `write` (renew, domains, removal release), `admin` (revoke), `sync` (the agents'
 * bundle feed, which carries private keys). `admin` includes `write`, `write` includes `read`; `sync` is
 * granted only when listed (it is the one scope that reads private keys).
 *
 * Contract: `authorize` never throws, compares every configured hash in constant time (no early exit on a
 * match), and never puts the presented token in its result (callers log the result's `name`, never the token).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.js';

export const SCOPES = ['read', 'write', 'admin', 'sync'] as const;
export type Scope = (typeof SCOPES)[number];

/** One line of the tokens file. */
export interface TokenEntry {
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** sha256 of the token, 32 bytes. */
  readonly hash: Buffer;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Parse a tokens file; `source` names it in errors (`<source>:<line>: ...`). Throws AppError CONFIG_INVALID. */
export function parseTokensFile(text: string, source: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 3)
      throw new AppError('CONFIG_INVALID', `${where}: expected '<name> <scope>[,<scope>...] <sha256-hex>'`);
    const [name, scopeList, hex] = fields as [string, string, string];
    if (!NAME.test(name)) throw new AppError('CONFIG_INVALID', `${where}: token name '${name}' is not usable`);
    if (names.has(name)) throw new AppError('CONFIG_INVALID', `${where}: token name '${name}' appears twice`);
    if (!HEX64.test(hex))
      throw new AppError('CONFIG_INVALID', `${where}: the third field must be the token's sha256 in hex (64 digits)`);
    entries.push({ name, scopes: parseScopes(scopeList, where), hash: Buffer.from(hex, 'hex') });
    names.add(name);
  });
  return entries;
}

/** `read,write` → ['read', 'write']; throws AppError CONFIG_INVALID naming an unknown scope. */
export function parseScopes(list: string, where: string): Scope[] {
  const scopes = list.split(',').map((s) => s.trim().toLowerCase());
  for (const s of scopes)
    if (!(SCOPES as readonly string[]).includes(s))
      throw new AppError('CONFIG_INVALID', `${where}: unknown scope '${s}' (known: ${SCOPES.join(', ')})`);
  return [...new Set(scopes as Scope[])];
}

/** Whether a token with `scopes` may act with `needed` (admin ⊇ write ⊇ read; sync only when listed). */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  if (scopes.includes(needed)) return true;
  if (needed === 'read') return scopes.includes('write') || scopes.includes('admin');
  if (needed === 'write') return scopes.includes('admin');
  return false;
}

/** sha256 hex of a token, as the tokens file stores it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token: 32 bytes, base64url (43 characters). */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The outcome of checking a request's Authorization header against the tokens file. */
export type AuthResult =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/** How to configure tokens, for the 403 when none are configured. */
export const NO_TOKENS_MESSAGE =
  'no API tokens are configured: create one with `marathon-acme token create NAME SCOPES` and add the printed line to the file named by --api-tokens-file (MARATHON_ACME_API_TOKENS_FILE)';

/**
 * Check `authorization` (the raw header) for `needed`. No tokens configured ⇒ 403 with how to configure them;
 * a missing, malformed or unknown token ⇒ 401; a known token without the scope ⇒ 403.
 */
export function authorize(
  entries: readonly TokenEntry[],
  authorization: string | undefined,
  needed: Scope,
): AuthResult {
  if (entries.length === 0) return { ok: false, status: 403, message: NO_TOKENS_MESSAGE };
  const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec((authorization ?? '').trim());
  if (!m) return { ok: false, status: 401, message: 'a bearer token is required (Authorization: Bearer <token>)' };
  const presented = createHash('sha256').update(m[1]!, 'utf8').digest();
  let found: TokenEntry | undefined;
  for (const e of entries) if (timingSafeEqual(presented, e.hash) && found === undefined) found = e;
  if (!found) return { ok: false, status: 401, message: 'unknown token' };
  if (!grants(found.scopes, needed))
    return { ok: false, status: 403, message: `token '${found.name}' lacks the '${needed}' scope` };
  return { ok: true, name: found.name };
}
