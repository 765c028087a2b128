/**
 * Typed readers of raw flag values (from argv or the environment). Each throws a one-line `UsageError`
 * worded as 0.6.1's argparse did (`argument --x: invalid float value: 'abc'`) — or, for a value that
 * came from the environment, naming the variable (`environment variable MARATHON_ACME_X (--x): ...`) —
 * and never returns a bad value. Secret values are never echoed; URLs are echoed without userinfo.
 */
import { normalizeSuffix } from '../domain/names.js';
import { redactUrl } from '../lib/urls.js';
import type { RawValue } from './env.js';
import { UsageError } from './usage-error.js';

/** Hosts to which a plain-http ACME directory is allowed (local test CAs, sidecars); the rest need https. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class FlagValues {
  /**
   * @param raw the raw value of a flag.
   * @param envVar the environment variable a flag's value came from, or undefined when it came from
   *   the command line (or is absent).
   */
  constructor(
    private readonly raw: (name: string) => RawValue,
    private readonly envVar: (name: string) => string | undefined = () => undefined,
  ) {}

  /** Where a bad value came from, for the usage error: `argument --x` or the environment variable. */
  label(name: string): string {
    const env = this.envVar(name);
    return env === undefined ? `argument --${name}` : `environment variable ${env} (--${name})`;
  }

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
    throw new UsageError(`${this.label(name)}: invalid boolean value: '${v}'`);
  }

  /** A number: seconds (any finite), int (non-negative integer) or fraction (in (0, 1]); `dflt` if absent. */
  num(name: string, kind: 'seconds' | 'int' | 'fraction', dflt?: number): number | undefined {
    const v = this.str(name);
    if (v === undefined) return dflt;
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`${this.label(name)}: invalid ${kind === 'int' ? 'int' : 'float'} value: '${v}'`);
    if (kind === 'int' && (!Number.isInteger(n) || n < 0))
      throw new UsageError(`${this.label(name)}: invalid int value: '${v}'`);
    if (kind === 'fraction' && (n <= 0 || n > 1))
      throw new UsageError(`${this.label(name)}: must be in (0, 1]: '${v}'`);
    return n;
  }

  /** One of `choices`; `dflt` if absent. */
  choice<T extends string>(name: string, choices: readonly string[], dflt?: T): T | undefined {
    const v = this.str(name);
    if (v === undefined) return dflt;
    if (!choices.includes(v))
      throw new UsageError(
        `${this.label(name)}: invalid choice: '${v}' (choose from ${choices.map((c) => `'${c}'`).join(', ')})`,
      );
    return v as T;
  }

  /**
   * A comma-separated list of http(s) base URLs (`--marathon`, `--lb`), `dflt` if absent; `none` gives
   * an empty list. Each entry must be an absolute http(s) URL with a host: `marathon.mesos:8080` (no
   * scheme) is a usage error that says so.
   */
  httpUrls(name: string, dflt: string): string[] {
    const value = this.str(name) ?? dflt;
    if (value.trim() === 'none') return [];
    const entries = list(value);
    if (entries.length === 0) throw new UsageError(`${this.label(name)}: no URL given (or 'none')`);
    for (const entry of entries) {
      const url = parseUrl(entry);
      if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
        const hint = /^[^/:]+:\d+/.test(entry) ? ` (no scheme: write http://${redactUrl(entry)})` : '';
        throw new UsageError(`${this.label(name)}: not an http(s) URL: '${printable(redactUrl(entry))}'${hint}`);
      }
    }
    return entries;
  }

  /**
   * The ACME directory URL: https, or plain http to a loopback host only (RFC 8555 §6.1; a local test
   * CA). `not-a-url` and `ftp://x/dir` are usage errors.
   */
  acmeUrl(name: string, value: string): string {
    const url = parseUrl(value);
    const ok =
      url !== undefined &&
      url.host !== '' &&
      (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)));
    if (!ok)
      throw new UsageError(
        `${this.label(name)}: not an https URL of an ACME directory (plain http only to localhost): '${printable(redactUrl(value))}'`,
      );
    return value;
  }

  /** An e-mail address (`local@domain.tld`), trimmed; undefined when absent or blank. */
  email(name: string): string | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const at = v.lastIndexOf('@');
    const local = v.slice(0, at);
    const domain = v.slice(at + 1);
    const suffix = normalizeSuffix(domain);
    if (
      at <= 0 ||
      local.length > 64 ||
      /[\s@,;<>"()[\]\\\x00-\x1f\x7f]/.test(local) ||
      suffix === null ||
      !suffix.includes('.')
    )
      throw new UsageError(`${this.label(name)}: not an e-mail address: '${printable(v)}'`);
    return v;
  }

  /**
   * A secret in base64url (RFC 4648 §5; `=` padding tolerated), trimmed; undefined when absent. The
   * value is never echoed, not even in the usage error.
   */
  base64url(name: string): string | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const t = v.trim();
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(t) || t.replace(/=+$/, '').length % 4 === 1)
      throw new UsageError(`${this.label(name)}: not base64url (A-Z, a-z, 0-9, '-', '_'); the value is not shown`);
    return t;
  }
}

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** A value echoed in a usage error: one line, printable ASCII, bounded. */
function printable(s: string): string {
  const p = s.replace(/[^\x20-\x7e]/g, '?');
  return p.length > 200 ? `${p.slice(0, 200)}...` : p;
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
 * `label` names the flag (or variable) in the usage error.
 */
export function allowedDomains(value: string | undefined, label = 'argument --allowed-domains'): string[] {
  if (value === undefined || value.trim() === '') return [];
  const entries = value.split(',').map((s) => s.trim());
  const out: string[] = [];
  for (const entry of entries) {
    if (entry === '') continue;
    const s = normalizeSuffix(entry);
    if (s === null) throw new UsageError(`${label}: not a domain name: '${printable(entry)}'`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new UsageError(`${label}: no domain given`);
  return out;
}

/** `a,b;c` -> [[a,b],[c]]: ';' separates certificates, ',' or whitespace the names of one. */
export function parseStaticDomains(value: string): string[][] {
  return value
    .split(';')
    .map((cert) => cert.split(/[\s,]+/).filter((n) => n.length > 0))
    .filter((names) => names.length > 0);
}
