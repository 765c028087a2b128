/**
 * The Marathon app labels marathon-acme reads, exactly as 0.6.1 reads them
 * (reference/marathon-acme-behaviour.md §4.1; tests §9.3). App-level `labels` only:
 * - `HAPROXY_GROUP`, `HAPROXY_{n}_GROUP` (port label wins), compared for exact equality with `--group`;
 * - `MARATHON_ACME_{n}_DOMAIN`: names separated by commas and/or whitespace;
 * - `MARATHON_ACME_{n}_SAN` (new, optional): `true`/`false` overrides the `--san` flag for port n;
 * - `MARATHON_ACME_{n}_CHALLENGE` (new, optional): `dns-01`/`http-01` for port n's names.
 *
 * Pure and total. Only own properties are labels (`own`, `has`).
 */
import { has, own } from './json.js';

/** Python str.isspace() characters (incl. \x1c-\x1f, \x85) plus ','. */
const SEPARATORS = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000,]+/;

/**
 * `MARATHON_ACME_{n}_DOMAIN` value → names, 0.6.1's `parse_domain_label`: commas become whitespace,
 * then split on runs of whitespace with Python's `str.split()` notion of whitespace, empties dropped.
 */
export function parseDomainLabel(value: string): string[] {
  return value.split(SEPARATORS).filter((s) => s.length > 0);
}

/** Label names per port index, built once (no template strings per app and port). */
const KEY_CACHE = 64;
const GROUP_KEYS = Array.from({ length: KEY_CACHE }, (_, n) => `HAPROXY_${n}_GROUP`);
const DOMAIN_KEYS = Array.from({ length: KEY_CACHE }, (_, n) => `MARATHON_ACME_${n}_DOMAIN`);
const SAN_KEYS = Array.from({ length: KEY_CACHE }, (_, n) => `MARATHON_ACME_${n}_SAN`);

/** `MARATHON_ACME_{n}_DOMAIN`. */
export function domainLabel(n: number): string {
  return n < KEY_CACHE ? DOMAIN_KEYS[n]! : `MARATHON_ACME_${n}_DOMAIN`;
}

/** `MARATHON_ACME_{n}_SAN`. */
export function sanLabel(n: number): string {
  return n < KEY_CACHE ? SAN_KEYS[n]! : `MARATHON_ACME_${n}_SAN`;
}

/** `MARATHON_ACME_{n}_CHALLENGE` (issue 12): `dns-01` or `http-01` for the port's names. */
export function challengeLabel(n: number): string {
  return `MARATHON_ACME_${n}_CHALLENGE`;
}

/** Port n's group (`HAPROXY_{n}_GROUP`, else `HAPROXY_GROUP`) is `group` (exact, case-sensitive). */
export function inGroup(labels: Record<string, unknown>, n: number, group: string): boolean {
  const portGroupKey = n < KEY_CACHE ? GROUP_KEYS[n]! : `HAPROXY_${n}_GROUP`;
  const value = has(labels, portGroupKey) ? own(labels, portGroupKey) : own(labels, 'HAPROXY_GROUP');
  return value === group;
}

/** A `MARATHON_ACME_{n}_SAN` value: `true`/`false` (case-insensitive, trimmed), else undefined (unusable). */
export function parseSanLabel(value: unknown): boolean | undefined {
  const s = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (s === 'true') return true;
  if (s === 'false') return false;
  return undefined;
}

const ACME_LABEL = /^MARATHON_ACME_(\d+)_DOMAIN$/;

/**
 * The longest label value read (characters). A domain label of 100 names of 253 characters is about
 * 25 KB; anything far larger is refused as LABEL_TOO_LARGE without being split or validated.
 */
export const MAX_LABEL_LENGTH = 64 * 1024;

/** A `MARATHON_ACME_{n}_DOMAIN` label that is never read as a port's domain label. */
export interface DomainLabel {
  readonly label: string;
  readonly portIndex: number;
  /** The raw value (a non-empty string, or anything else for `kind: 'not-string'`). */
  readonly value: unknown;
  /**
   * `beyond`: a port index the app does not have (port in `group`); `not-string`: the same, with a
   * value that is not a string; `padded-index`: the index is written with leading zeros
   * (`MARATHON_ACME_01_DOMAIN`), so no port ever reads it (port in `group`).
   */
  readonly kind: 'beyond' | 'not-string' | 'padded-index';
}

/**
 * The domain labels no port reads whose port would be in `group`, in label order: those for port
 * indexes ≥ `count` (0.6.1 ignored them silently; other groups' labels are none of our business), and
 * those whose index has leading zeros. Empty values (no names) are skipped like 0.6.1's.
 */
export function domainLabelsBeyond(labels: Record<string, unknown>, count: number, group: string): DomainLabel[] {
  const out: DomainLabel[] = [];
  for (const key in labels) {
    if (key.charCodeAt(0) !== 77 /* M */ || !key.startsWith('MARATHON_ACME_') || !Object.hasOwn(labels, key)) continue;
    const m = ACME_LABEL.exec(key);
    if (m === null) continue;
    const padded = m[1]!.length > 1 && m[1]!.startsWith('0');
    const n = Number(m[1]);
    if ((n < count && !padded) || !inGroup(labels, n, group)) continue;
    const v = labels[key];
    if (typeof v !== 'string') {
      out.push({ label: key, portIndex: n, value: v, kind: 'not-string' });
      continue;
    }
    if (v.length <= MAX_LABEL_LENGTH && parseDomainLabel(v).length === 0) continue;
    out.push({ label: key, portIndex: n, value: v, kind: padded ? 'padded-index' : 'beyond' });
  }
  return out;
}
