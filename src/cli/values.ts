/**
 * Typed readers of raw flag values (from argv or the environment). Each throws a `UsageError` worded
 * as 0.6.1's argparse did (`argument --x: invalid float value: 'abc'`) and never returns a bad value.
 */
import { normalizeSuffix } from '../domain/names.js';
import type { RawValue } from './env.js';
import { UsageError } from './usage-error.js';

export class FlagValues {
  constructor(private readonly raw: (name: string) => RawValue) {}

  /** The text of a flag; a boolean `true` (a value-less string flag) is '' and `false` is undefined. */
  str(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined || typeof v === 'boolean') return v === true ? '' : undefined;
    return v;
  }

  /** The text of a flag, trimmed; undefined when absent or blank. */
  text(name: string): string | undefined {
    const v = this.str(name);
    return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
  }

  /** A boolean flag: given, or 1/true/yes/on (0/false/no/off/'' for false) from the environment. */
  bool(name: string): boolean {
    const v = this.raw(name);
    if (typeof v === 'boolean') return v;
    if (v === undefined) return false;
    if (/^(1|true|yes|on)$/i.test(v.trim())) return true;
    if (/^(0|false|no|off|)$/i.test(v.trim())) return false;
    throw new UsageError(`argument --${name}: invalid boolean value: '${v}'`);
  }

  /** A number: seconds (any finite), int (non-negative integer) or fraction (in (0, 1]); `dflt` if absent. */
  num(name: string, kind: 'seconds' | 'int' | 'fraction', dflt?: number): number | undefined {
    const v = this.str(name);
    if (v === undefined) return dflt;
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`argument --${name}: invalid ${kind === 'int' ? 'int' : 'float'} value: '${v}'`);
    if (kind === 'int' && (!Number.isInteger(n) || n < 0))
      throw new UsageError(`argument --${name}: invalid int value: '${v}'`);
    if (kind === 'fraction' && (n <= 0 || n > 1)) throw new UsageError(`argument --${name}: must be in (0, 1]: '${v}'`);
    return n;
  }

  /** One of `choices`; `dflt` if absent. */
  choice<T extends string>(name: string, choices: readonly string[], dflt?: T): T | undefined {
    const v = this.str(name);
    if (v === undefined) return dflt;
    if (!choices.includes(v))
      throw new UsageError(
        `argument --${name}: invalid choice: '${v}' (choose from ${choices.map((c) => `'${c}'`).join(', ')})`,
      );
    return v as T;
  }
}

/** `a, b,,c` -> [a, b, c]: a comma-separated list, entries trimmed, empty entries dropped. */
export function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * `--allowed-domains` → normalised suffixes, the only place they are normalised (`normalizeSuffix`).
 * Fails closed: an entry that is not a domain (`https://example.com`, `example.com:443`) is a usage
 * error, never silently dropped — dropping every entry would leave an empty list, which allows all.
 * No value (or an empty one) means no restriction; a value with separators only is an error.
 */
export function allowedDomains(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const entries = value.split(',').map((s) => s.trim());
  const out: string[] = [];
  for (const entry of entries) {
    if (entry === '') continue;
    const s = normalizeSuffix(entry);
    if (s === null)
      throw new UsageError(`argument --allowed-domains: not a domain name: '${entry.replace(/[^\x20-\x7e]/g, '?')}'`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new UsageError('argument --allowed-domains: no domain given');
  return out;
}

/** `a,b;c` -> [[a,b],[c]]: ';' separates certificates, ',' or whitespace the names of one. */
export function parseStaticDomains(value: string): string[][] {
  return value
    .split(';')
    .map((cert) => cert.split(/[\s,]+/).filter((n) => n.length > 0))
    .filter((names) => names.length > 0);
}
