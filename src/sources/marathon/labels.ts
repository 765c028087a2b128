/**
 * The Marathon app labels marathon-acme reads, exactly as 0.6.1 reads them
 * (reference/marathon-acme-behaviour.md §4.1; tests §9.3). App-level `labels` only:
 * - `HAPROXY_GROUP`, `HAPROXY_{n}_GROUP` (port label wins), compared for exact equality with `--group`;
 * - `MARATHON_ACME_{n}_DOMAIN`: names separated by commas and/or whitespace;
 * - `MARATHON_ACME_{n}_SAN` (new, optional): `true`/`false` overrides the `--san` flag for port n.
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

/** A `MARATHON_ACME_{n}_DOMAIN` label with a non-empty value. */
export interface DomainLabel {
  readonly label: string;
  readonly portIndex: number;
  readonly value: string;
}

/**
 * The domain labels with names for port indexes ≥ `count` whose port would be in `group`: 0.6.1
 * ignored them silently (other groups' labels are none of our business), in label order.
 */
export function domainLabelsBeyond(labels: Record<string, unknown>, count: number, group: string): DomainLabel[] {
  const out: DomainLabel[] = [];
  for (const key in labels) {
    if (key.charCodeAt(0) !== 77 /* M */ || !key.startsWith('MARATHON_ACME_') || !Object.hasOwn(labels, key)) continue;
    const m = ACME_LABEL.exec(key);
    if (m === null) continue;
    const n = Number(m[1]);
    const v = labels[key];
    if (n < count || typeof v !== 'string' || parseDomainLabel(v).length === 0 || !inGroup(labels, n, group)) continue;
    out.push({ label: key, portIndex: n, value: v });
  }
  return out;
}
