/**
 * DNS name validation and normalisation for names that become ACME identifiers AND file names
 * (`certs/<name>.pem`), and `acceptNames`, the one rule every source applies to the names it reads.
 * Pure: no I/O (node:url and node:net are pure helpers); codes come from the catalogue (lib/error-codes).
 *
 * 0.6.1 passed label values verbatim to the CA and to the file system
 * (reference/marathon-acme-behaviour.md §4.1 "No validation or normalisation"). Label values are
 * untrusted input (ARCHITECTURE.md), so every name is normalised here and rejected with a stable code
 * and a reason when it cannot be a certificate name.
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import type { ErrorCode } from '../lib/error-codes.js';
import { MAX_CERT_NAME_LENGTH } from './name-rules.js';

export interface NormalizeOptions {
  /** Accept a leading `*.` label (only useful with DNS-01; HTTP-01 cannot validate wildcards). */
  readonly allowWildcard?: boolean;
}

/** Codes of the catalogue produced by {@link normalizeName} (part of the public surface: logs, metrics). */
export type NameProblemCode = Extract<
  ErrorCode,
  'INVALID_NAME' | 'NAME_TOO_LONG' | 'WILDCARD_NOT_SUPPORTED' | 'IP_ADDRESS_NOT_SUPPORTED'
>;

/** Codes of the catalogue produced by {@link acceptNames}: the name codes plus DOMAIN_NOT_ALLOWED. */
export type AcceptProblemCode = NameProblemCode | Extract<ErrorCode, 'DOMAIN_NOT_ALLOWED'>;

export type NormalizeResult =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly code: NameProblemCode; readonly reason: string };

/** RFC 1123 §2.1 host label: letters, digits, hyphen; not starting or ending with a hyphen. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Characters that could make a name escape `certs/` or truncate a path (NUL), checked on the raw value. */
const PATH_CHARS = /[/\\\0]/;
/**
 * What a raw name may hold before normalisation: ASCII letters, digits, `-`, `.`, `*`, and non-ASCII
 * letters for IDN (mapped by UTS #46 below). Everything else is refused ON THE RAW VALUE, because the
 * URL host parser behind `domainToASCII` would otherwise turn it into other names: it percent-decodes
 * (`evil%2eexample.test` → `evil.example.test`), cuts at `?` and `#` (`a.example.test?x` →
 * `a.example.test`) and silently drops invisible characters (soft hyphen, zero-width space).
 */
const RAW_FORBIDDEN = /[^a-zA-Z0-9.*\-\u0080-\u{10FFFF}]|[\p{Cc}\p{Cf}\p{Z}\p{Cs}\p{Co}]/u;
const ASCII_FAST = /^[a-z0-9.*-]+$/;
/** At least two RFC 1123 labels, lower case, no trailing dot (length checked separately). */
const NORMAL_LDH = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ALL_DIGITS_TLD = /\.[0-9]+$/;
/** DNS's limit (RFC 1035), for suffixes. */
const MAX_NAME = 253;
/** A certificate name must also fit `certs/<name>.pem` (name-rules.ts): 251, tighter than DNS. */
const MAX_CERT_NAME = MAX_CERT_NAME_LENGTH;
const TOO_LONG = `name is longer than ${MAX_CERT_NAME} characters (certs/<name>.pem must fit a file name)`;
const MAX_LABEL = 63;

function fail(code: NameProblemCode, reason: string): NormalizeResult {
  return { ok: false, code, reason };
}

/**
 * Normalise one DNS name: trim, lower case, drop one trailing dot, refuse any raw character outside
 * letters, digits, `-`, `.`, `*` and non-ASCII letters (`%`, `?`, `#`, `:`, `@`, invisible and control
 * characters: see RAW_FORBIDDEN), IDN → A-labels (UTS #46 via
 * `domainToASCII`), then check RFC 1123 label syntax, label ≤ 63 and total ≤ 251 octets
 * (`MAX_CERT_NAME_LENGTH`: the store must be able to write `<name>.pem`; DNS allows 253), at least two
 * labels, no all-numeric top-level label, no IP literal, no wildcard unless allowed, and nothing that
 * could escape a directory (`/`, `\`, NUL, `..`, a leading `.`).
 *
 * Contract: total (never throws, whatever `raw` is); the returned name is safe as a file stem.
 */
export function normalizeName(raw: unknown, opts: NormalizeOptions = {}): NormalizeResult {
  if (typeof raw !== 'string') return fail('INVALID_NAME', 'name is not a string');
  // Fast path: an already-normal LDH name (the common case) needs no copies.
  if (raw.length <= MAX_CERT_NAME && NORMAL_LDH.test(raw) && !raw.includes('xn--') && !ALL_DIGITS_TLD.test(raw))
    return { ok: true, name: raw };
  let name = raw.trim();
  if (name.length === 0) return fail('INVALID_NAME', 'name is empty');
  // Checked before IDN mapping: domainToASCII('a/b.com') returns 'a' (URL host parsing stops at '/').
  if (PATH_CHARS.test(name)) return fail('INVALID_NAME', 'name contains a path separator or NUL');
  if (name.startsWith('.')) return fail('INVALID_NAME', 'name starts with a dot');
  if (name.includes('..')) return fail('INVALID_NAME', 'name contains an empty label (..)');
  if (name.length > 4 * MAX_NAME) return fail('NAME_TOO_LONG', TOO_LONG);
  name = name.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (isIpLiteral(name)) return fail('IP_ADDRESS_NOT_SUPPORTED', 'IP addresses cannot be certificate names here');
  const bad = RAW_FORBIDDEN.exec(name);
  if (bad !== null) return fail('INVALID_NAME', forbiddenReason(bad[0]));

  let wildcard = false;
  if (name.startsWith('*.')) {
    if (opts.allowWildcard !== true) {
      return fail('WILDCARD_NOT_SUPPORTED', 'wildcard names need DNS-01; HTTP-01 cannot validate them');
    }
    wildcard = true;
    name = name.slice(2);
  }
  if (name.includes('*')) return fail('INVALID_NAME', 'a wildcard is only allowed as the whole first label');

  const ascii = toAscii(name);
  if (ascii === null) return fail('INVALID_NAME', 'not a valid internationalised domain name');
  if (PATH_CHARS.test(ascii) || ascii.includes('..')) return fail('INVALID_NAME', 'name maps to a path character');
  const syntax = checkSyntax(ascii, wildcard ? 2 : 0);
  if (syntax !== null) return syntax;
  return { ok: true, name: wildcard ? `*.${ascii}` : ascii };
}

/** Why a raw character is refused (the character itself is shown only when printable ASCII). */
function forbiddenReason(c: string): string {
  if (c === '%') return 'name contains % (percent-escapes are refused, never decoded)';
  const shown = /^[\x21-\x7e]$/.test(c)
    ? `'${c}'`
    : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `name contains ${shown}, which is not allowed in a DNS name`;
}

/** IPv4/IPv6 literals, bracketed or not. */
function isIpLiteral(name: string): boolean {
  if (name.startsWith('[') && name.endsWith(']')) return true;
  return isIP(name) !== 0;
}

/**
 * IDNA to-ASCII. Plain LDH names without `xn--` labels skip the conversion (fast path for the common
 * case; the result would be identical). Returns null when the name is not valid IDNA.
 */
function toAscii(name: string): string | null {
  if (ASCII_FAST.test(name) && !name.includes('xn--')) return name;
  const ascii = domainToASCII(name);
  return ascii === '' ? null : ascii;
}

function checkSyntax(ascii: string, extra: number): NormalizeResult | null {
  if (ascii.length + extra > MAX_CERT_NAME) return fail('NAME_TOO_LONG', TOO_LONG);
  const labels = ascii.split('.');
  if (labels.length < 2) return fail('INVALID_NAME', 'name needs at least two labels');
  for (const label of labels) {
    if (label.length === 0) return fail('INVALID_NAME', 'name contains an empty label');
    if (label.length > MAX_LABEL) return fail('NAME_TOO_LONG', 'a label is longer than 63 characters');
    if (!LABEL.test(label))
      return fail('INVALID_NAME', 'a label has characters outside a-z, 0-9 and inner hyphens (RFC 1123)');
  }
  // RFC 3696 §2: a top-level label is never all-numeric (this also rejects partial IPv4 like 10.1.2).
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return fail('INVALID_NAME', 'the top-level label is all-numeric');
  return null;
}

/**
 * Normalise an `--allowed-domains` entry to a bare suffix: trim, lower case, drop a leading `*.` or
 * `.` and a trailing dot, IDN → A-labels, then check every label is RFC 1123 (a single label such as
 * `com` is accepted). Returns null for an entry that cannot be a suffix (`https://example.com`,
 * `example.com:443`, `example.com/`, empty). Called once, when the configuration is parsed.
 */
export function normalizeSuffix(raw: string): string | null {
  let s = raw.trim().toLowerCase();
  if (s.startsWith('*.')) s = s.slice(2);
  else if (s.startsWith('.')) s = s.slice(1);
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0 || PATH_CHARS.test(s) || RAW_FORBIDDEN.test(s)) return null;
  const ascii = toAscii(s);
  if (ascii === null || ascii.length === 0 || ascii.length > MAX_NAME) return null;
  for (const label of ascii.split('.')) if (!LABEL.test(label)) return null;
  return ascii;
}

/**
 * `--allowed-domains` suffix matching: suffix `example.com` allows `example.com` itself and any name
 * below it (`a.example.com`, `*.example.com`), never `badexample.com`; a wildcard is matched by the
 * name under its `*.`, so `*.com` is not inside `example.com`. An absent or empty list allows
 * everything (only configuration parsing decides whether a list may be empty). `name` must already be
 * normalised (`normalizeName`) and `suffixes` too (`normalizeSuffix`): nothing is normalised here.
 */
export function isAllowed(name: string, suffixes: readonly string[] | undefined): boolean {
  if (suffixes === undefined || suffixes.length === 0) return true;
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  for (const s of suffixes) {
    if (
      bare === s ||
      (bare.length > s.length && bare.endsWith(s) && bare.charCodeAt(bare.length - s.length - 1) === 46) /* . */
    )
      return true;
  }
  return false;
}

/**
 * The rule every source applies to the raw names of one certificate: each name is normalised
 * (`normalizeName`), must be inside `allowedDomains` (already normalised suffixes), and is kept once.
 * A rejected name is handed to `reject` (with the raw value) and skipped. Returns the accepted names
 * in order. Total when `reject` is. Wildcards pass only with `opts.allowWildcard` (a DNS provider is
 * configured: `--dns-provider`).
 */
export function acceptNames(
  raw: readonly string[],
  allowedDomains: readonly string[] | undefined,
  reject: (code: AcceptProblemCode, reason: string, raw: string) => void,
  opts: NormalizeOptions = {},
): string[] {
  const names: string[] = [];
  for (const r of raw) {
    const res = normalizeName(r, opts);
    if (!res.ok) reject(res.code, res.reason, r);
    else if (!isAllowed(res.name, allowedDomains)) reject('DOMAIN_NOT_ALLOWED', 'name is outside --allowed-domains', r);
    else if (!names.includes(res.name)) names.push(res.name);
  }
  return names;
}
