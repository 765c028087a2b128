/**
 * Marathon apps → desired certificates, exactly as marathon-acme 0.6.1 reads labels
 * (reference/marathon-acme-behaviour.md §4.1, §4.2; tests §9.3, §9.8), plus validation: every name goes
 * through `normalizeName`, and anything rejected becomes a `Problem` while every other app proceeds.
 *
 * Pure and total: `appsToSnapshot` never throws, whatever JSON it is given (fuzz-tested).
 *
 * Labels read (app-level `labels` only, like 0.6.1):
 * - `HAPROXY_GROUP`, `HAPROXY_{n}_GROUP` (port label wins), compared for exact equality with `--group`;
 * - `MARATHON_ACME_{n}_DOMAIN`: names separated by commas and/or whitespace;
 * - `MARATHON_ACME_{n}_SAN` (new, optional): `true`/`false` overrides the `--san` flag for port n.
 *
 * SAN mode (new): when on for a port, ALL names of that port's label become ONE certificate whose
 * file is named after the first valid name (`names[0]`); `--allow-multiple-certs` does not matter then.
 * When off (the default, 0.6.1 behaviour) each name is its own certificate, and only the first name
 * of a port is used unless `allowMultipleCerts`.
 */
import type { CertSpec, Problem, Requester, Snapshot } from './types.js';
import { isAllowed, normalizeName } from './names.js';

export interface LabelOptions {
  /** `--group` (default `external`): exact, case-sensitive match; absent never matches. */
  readonly group: string;
  /** `--allow-multiple-certs`: every name of a port becomes its own certificate. */
  readonly allowMultipleCerts: boolean;
  /** Default SAN mode for ports without a `MARATHON_ACME_{n}_SAN` label. */
  readonly san: boolean;
  /**
   * `--allowed-domains` suffixes, already normalised by `normalizeSuffix` (configuration parsing does
   * it once and rejects entries it cannot parse); absent or empty allows every name.
   */
  readonly allowedDomains?: readonly string[];
}

/** Stable problem codes produced here (besides the name codes of `normalizeName`). */
export const PROBLEM_CODES = {
  /** The app entry is not an object, has no string `id`, no `labels` object, or odd port fields. */
  BAD_APP: 'BAD_APP',
  /** A label we read has a non-string or unusable value. */
  BAD_LABEL: 'BAD_LABEL',
  /** Name outside `--allowed-domains`. */
  DOMAIN_NOT_ALLOWED: 'DOMAIN_NOT_ALLOWED',
  /** 0.6.1's warning: several names on a port without `--allow-multiple-certs`; only the first is used. */
  MULTIPLE_DOMAINS_IGNORED: 'MULTIPLE_DOMAINS_IGNORED',
  /** `MARATHON_ACME_{n}_DOMAIN` for a port index the app does not have (0.6.1 ignored it silently). */
  PORT_INDEX_OUT_OF_RANGE: 'PORT_INDEX_OUT_OF_RANGE',
  /** The same file name is wanted with two different name sets; the first one is kept. */
  SAN_CONFLICT: 'SAN_CONFLICT',
} as const;

const MAX_EXCERPT = 120;

/** A printable, bounded excerpt of an untrusted value for a problem record. */
const PRINTABLE_SHORT = /^[\x20-\x7e]{0,120}$/;
export function excerpt(value: unknown): string {
  if (typeof value === 'string' && PRINTABLE_SHORT.test(value)) return value;
  let s: string;
  try {
    s = typeof value === 'string' ? value : String(JSON.stringify(value));
  } catch {
    s = '[unprintable]';
  }
  // eslint-disable-next-line no-control-regex
  s = s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return s.length > MAX_EXCERPT ? `${s.slice(0, MAX_EXCERPT)}…` : s;
}

/**
 * `MARATHON_ACME_{n}_DOMAIN` value → names, 0.6.1's `parse_domain_label`: commas become whitespace,
 * then split on runs of whitespace with Python's `str.split()` notion of whitespace, empties dropped.
 */
export function parseDomainLabel(value: string): string[] {
  return value.split(SEPARATORS).filter((s) => s.length > 0);
}
/** Python str.isspace() characters (incl. \x1c-\x1f, \x85) plus ','. */
const SEPARATORS = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000,]+/;

type NetworkingMode = 'host' | 'container/bridge' | 'container';
type PortCountResult =
  | { readonly ok: true; readonly mode: NetworkingMode; readonly count: number }
  | { readonly ok: false; readonly reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** An own property (inherited ones are never labels or fields). */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}
/** Python's `key in d` for JSON: present and not null (null is treated as absent, see portCount). */
function has(o: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(o, key) && o[key] !== null && o[key] !== undefined;
}

/**
 * The networking mode, as marathon-lb v1.10.3 / marathon-acme 0.6.1 (§4.2): the last `networks`
 * entry's mode (default `container`); else `container.docker.network` USER → container, BRIDGE →
 * container/bridge; else `container` when a legacy `ipAddress` is set, `host` otherwise.
 */
function networkingMode(
  app: Record<string, unknown>,
): { ok: true; mode: NetworkingMode } | { ok: false; reason: string } {
  const networks = app['networks'];
  if (Array.isArray(networks) && networks.length > 0) {
    const last: unknown = networks[networks.length - 1];
    if (!isObject(last)) return { ok: false, reason: 'networks entry is not an object' };
    const mode = has(last, 'mode') ? last['mode'] : 'container';
    if (mode === 'host' || mode === 'container/bridge' || mode === 'container') return { ok: true, mode };
    return { ok: false, reason: `Unknown Marathon networking mode '${excerpt(mode)}'` };
  }
  if (networks !== undefined && networks !== null && !Array.isArray(networks))
    return { ok: false, reason: 'networks is not a list' };
  const container = app['container'];
  if (isObject(container) && has(container, 'docker')) {
    const docker = container['docker'];
    if (!isObject(docker)) return { ok: false, reason: 'container.docker is not an object' };
    if (docker['network'] === 'USER') return { ok: true, mode: 'container' };
    if (docker['network'] === 'BRIDGE') return { ok: true, mode: 'container/bridge' };
  }
  return { ok: true, mode: has(app, 'ipAddress') ? 'container' : 'host' };
}

type ListResult = { ok: true; list: unknown[] | null } | { ok: false; reason: string };
function listField(o: Record<string, unknown>, key: string, where: string): ListResult {
  if (!has(o, key)) return { ok: true, list: null };
  const v = o[key];
  return Array.isArray(v) ? { ok: true, list: v } : { ok: false, reason: `${where}${key} is not a list` };
}
/** `portDefinitions`, else the legacy `ports`, else null. */
function portDefinitions(app: Record<string, unknown>): ListResult {
  if (has(app, 'portDefinitions')) return listField(app, 'portDefinitions', '');
  return listField(app, 'ports', '');
}
/** `container.portMappings`, else `container.docker.portMappings`, else null. */
function containerPortMappings(app: Record<string, unknown>): ListResult {
  const container = app['container'];
  if (!isObject(container)) return { ok: true, list: null };
  if (has(container, 'portMappings')) return listField(container, 'portMappings', 'container.');
  const docker = container['docker'];
  if (isObject(docker)) return listField(docker, 'portMappings', 'container.docker.');
  return { ok: true, list: null };
}
/** Legacy ip-per-task `ipAddress.discovery.ports`, or null. */
function discoveryPorts(app: Record<string, unknown>): ListResult {
  const ip = app['ipAddress'];
  if (ip === undefined || ip === null) return { ok: true, list: null };
  if (!isObject(ip)) return { ok: false, reason: 'ipAddress is not an object' };
  const discovery = ip['discovery'];
  if (discovery === undefined || discovery === null) return { ok: true, list: null };
  if (!isObject(discovery)) return { ok: false, reason: 'ipAddress.discovery is not an object' };
  return listField(discovery, 'ports', 'ipAddress.discovery.');
}

/**
 * Number of service ports (`get_number_of_app_ports`, §4.2 table). Deviation from 0.6.1 (documented in
 * §4.2 as harmless): a missing ports list counts as 0 instead of crashing the whole sync; an unknown
 * networking mode or a port field of the wrong type is an error for THIS app only.
 */
export function portCount(app: Record<string, unknown>): PortCountResult {
  const m = networkingMode(app);
  if (!m.ok) return m;
  let r: ListResult;
  if (m.mode === 'host') {
    r = portDefinitions(app);
  } else if (m.mode === 'container/bridge') {
    r = portDefinitions(app);
    if (r.ok && r.list === null) r = containerPortMappings(app);
  } else {
    r = discoveryPorts(app);
    if (r.ok && (r.list === null || r.list.length === 0)) r = containerPortMappings(app);
  }
  if (!r.ok) return r;
  return { ok: true, mode: m.mode, count: r.list === null ? 0 : r.list.length };
}

/**
 * Collects specs by file name: same name → one spec with the requesters merged; the same file name
 * with a different set of names (SAN) → the first is kept and a SAN_CONFLICT problem is recorded.
 * Order of specs is the order of first appearance (deterministic for a given input).
 */
export class SpecCollector {
  private readonly specs = new Map<string, { names: readonly string[]; key: string; requestedBy: Requester[] }>();
  readonly problems: Problem[] = [];

  add(names: readonly string[], requesters: readonly Requester[]): void {
    const name = names[0];
    if (name === undefined) return;
    const key = names.join(' ');
    const existing = this.specs.get(name);
    if (existing === undefined) {
      const entry = { names: [...names], key, requestedBy: [] as Requester[] };
      this.specs.set(name, entry);
      this.addRequesters(entry, requesters);
      return;
    }
    if (existing.key !== key) {
      const r = requesters[0];
      this.problems.push({
        source: r?.source ?? 'marathon',
        ...(r?.appId !== undefined ? { appId: r.appId } : {}),
        ...(r?.portIndex !== undefined ? { portIndex: r.portIndex } : {}),
        value: excerpt(names.join(',')),
        code: PROBLEM_CODES.SAN_CONFLICT,
        reason: `certificate ${name} is already wanted with the names ${excerpt(existing.names.join(','))}; keeping those`,
      });
      return;
    }
    this.addRequesters(existing, requesters);
  }

  /** Requester lists are short (usually one entry): a linear duplicate check beats a Set per spec. */
  private addRequesters(entry: { requestedBy: Requester[] }, requesters: readonly Requester[]): void {
    for (const r of requesters) {
      if (entry.requestedBy.some((x) => x.source === r.source && x.appId === r.appId && x.portIndex === r.portIndex))
        continue;
      entry.requestedBy.push(r);
    }
  }

  specList(): CertSpec[] {
    const out: CertSpec[] = [];
    for (const [name, e] of this.specs) out.push({ name, names: e.names, requestedBy: e.requestedBy });
    return out;
  }
}

/**
 * Merge the snapshots of several sources (Marathon, static `--domains`) into one: the same name → one
 * spec with all requesters; conflicting name sets for one file name → the first kept, a SAN_CONFLICT
 * problem recorded. Problems are concatenated in order. Pure and total.
 */
export function mergeSnapshots(snapshots: readonly Snapshot[]): Snapshot {
  const c = new SpecCollector();
  const problems: Problem[] = [];
  for (const s of snapshots) {
    for (const spec of s.specs) c.add(spec.names, spec.requestedBy);
    problems.push(...s.problems);
  }
  return { specs: c.specList(), problems: [...problems, ...c.problems] };
}

/**
 * The rule every source applies to the raw names of one certificate: each name is normalised
 * (`normalizeName`), must be inside `allowedDomains` (already normalised suffixes), and is kept once.
 * A rejected name is handed to `reject` (with the raw value) and skipped. Returns the accepted names
 * in order. Total when `reject` is.
 */
export function acceptNames(
  raw: readonly string[],
  allowedDomains: readonly string[] | undefined,
  reject: (code: string, reason: string, raw: string) => void,
): string[] {
  const names: string[] = [];
  for (const r of raw) {
    const res = normalizeName(r);
    if (!res.ok) reject(res.code, res.reason, r);
    else if (!isAllowed(res.name, allowedDomains))
      reject(PROBLEM_CODES.DOMAIN_NOT_ALLOWED, 'name is outside --allowed-domains', r);
    else if (!names.includes(res.name)) names.push(res.name);
  }
  return names;
}

/** Per-call context. */
interface Ctx {
  readonly opts: LabelOptions;
  readonly collector: SpecCollector;
  readonly problems: Problem[];
}

/**
 * Incremental form of {@link appsToSnapshot}: feed apps one by one (as a streaming reader of
 * `/v2/apps` produces them), then `build()`. Each `addApp` is total (never throws).
 */
export class SnapshotBuilder {
  private readonly ctx: Ctx;
  private index = 0;

  constructor(opts: LabelOptions) {
    this.ctx = { opts, collector: new SpecCollector(), problems: [] };
  }

  addApp(app: unknown): void {
    const i = this.index++;
    try {
      readApp(this.ctx, app, i);
    } catch (err) {
      // Defence in depth: readApp is written to be total; a bug must still not hide every other app.
      this.ctx.problems.push({
        source: 'marathon',
        code: PROBLEM_CODES.BAD_APP,
        reason: `internal error reading app #${i}: ${excerpt(String(err))}`,
      });
    }
  }

  /** The snapshot of every app added so far. */
  build(): Snapshot {
    return { specs: this.ctx.collector.specList(), problems: [...this.ctx.problems, ...this.ctx.collector.problems] };
  }
}

/**
 * One full reading of `/v2/apps` → desired certificates and problems. Never throws.
 * `apps` is the `apps` array of the response (anything else yields a single BAD_APP problem).
 */
export function appsToSnapshot(apps: unknown, opts: LabelOptions): Snapshot {
  const b = new SnapshotBuilder(opts);
  if (!Array.isArray(apps)) {
    const s = b.build();
    return {
      specs: s.specs,
      problems: [
        { source: 'marathon', code: PROBLEM_CODES.BAD_APP, reason: 'apps is not a list', value: excerpt(apps) },
      ],
    };
  }
  for (let i = 0; i < apps.length; i++) b.addApp(apps[i]);
  return b.build();
}

/** Label names per port index, built once (no template strings per app and port). */
const KEY_CACHE = 64;
const GROUP_KEYS = Array.from({ length: KEY_CACHE }, (_, n) => `HAPROXY_${n}_GROUP`);
const DOMAIN_KEYS = Array.from({ length: KEY_CACHE }, (_, n) => `MARATHON_ACME_${n}_DOMAIN`);
const SAN_KEYS = Array.from({ length: KEY_CACHE }, (_, n) => `MARATHON_ACME_${n}_SAN`);
function key(cache: readonly string[], n: number, make: (n: number) => string): string {
  return n < KEY_CACHE ? cache[n]! : make(n);
}

function readApp(ctx: Ctx, app: unknown, index: number): void {
  if (!isObject(app)) {
    ctx.problems.push({
      source: 'marathon',
      code: PROBLEM_CODES.BAD_APP,
      reason: `app #${index} is not an object`,
      value: excerpt(app),
    });
    return;
  }
  const id = own(app, 'id');
  if (typeof id !== 'string' || id.length === 0) {
    ctx.problems.push({
      source: 'marathon',
      code: PROBLEM_CODES.BAD_APP,
      reason: `app #${index} has no string id`,
      value: excerpt(id),
    });
    return;
  }
  const appId = excerpt(id);
  const labels = own(app, 'labels');
  if (!isObject(labels)) {
    // 0.6.1 failed the whole sync with KeyError here (§4.1 step 1); Marathon always sends {}.
    ctx.problems.push({
      source: 'marathon',
      appId,
      code: PROBLEM_CODES.BAD_APP,
      reason: 'app has no labels object',
      value: excerpt(labels),
    });
    return;
  }
  const ports = portCount(app);
  if (!ports.ok) {
    ctx.problems.push({ source: 'marathon', appId, code: PROBLEM_CODES.BAD_APP, reason: ports.reason });
    return;
  }
  for (let n = 0; n < ports.count; n++) {
    if (inGroup(ctx, labels, n)) readPort(ctx, labels, appId, n);
  }
  reportOutOfRange(ctx, labels, appId, ports.count);
}

/** Port n's group (`HAPROXY_{n}_GROUP`, else `HAPROXY_GROUP`) is `--group`. */
function inGroup(ctx: Ctx, labels: Record<string, unknown>, n: number): boolean {
  const portGroupKey = key(GROUP_KEYS, n, (k) => `HAPROXY_${k}_GROUP`);
  const group = has(labels, portGroupKey) ? own(labels, portGroupKey) : own(labels, 'HAPROXY_GROUP');
  return group === ctx.opts.group;
}

function readPort(ctx: Ctx, labels: Record<string, unknown>, appId: string, n: number): void {
  const label = key(DOMAIN_KEYS, n, (k) => `MARATHON_ACME_${k}_DOMAIN`);
  const value = own(labels, label);
  if (value === undefined || value === null) return;
  const problem = (code: string, reason: string, v?: unknown): void => {
    ctx.problems.push({
      source: 'marathon',
      appId,
      portIndex: n,
      label,
      ...(v !== undefined ? { value: excerpt(v) } : {}),
      code,
      reason,
    });
  };
  if (typeof value !== 'string') {
    problem(PROBLEM_CODES.BAD_LABEL, 'label value is not a string', value);
    return;
  }
  const raw = parseDomainLabel(value);
  if (raw.length === 0) return;
  const san = sanMode(ctx, labels, appId, n);
  let wanted = raw;
  if (!san && !ctx.opts.allowMultipleCerts && raw.length > 1) {
    // 0.6.1: "Multiple domains found for port {port} of app {app}, only the first will be used"
    problem(
      PROBLEM_CODES.MULTIPLE_DOMAINS_IGNORED,
      `Multiple domains found for port ${n} of app ${appId}, only the first will be used`,
      value,
    );
    wanted = raw.slice(0, 1);
  }
  const names = acceptNames(wanted, ctx.opts.allowedDomains, problem);
  const requester: Requester = { source: 'marathon', appId, portIndex: n };
  if (san) ctx.collector.add(names, [requester]);
  else for (const name of names) ctx.collector.add([name], [requester]);
}

/** `MARATHON_ACME_{n}_SAN` = true/false (case-insensitive, trimmed) overrides the global flag. */
function sanMode(ctx: Ctx, labels: Record<string, unknown>, appId: string, n: number): boolean {
  const label = key(SAN_KEYS, n, (k) => `MARATHON_ACME_${k}_SAN`);
  const v = own(labels, label);
  if (v === undefined || v === null) return ctx.opts.san;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (s === 'true') return true;
  if (s === 'false') return false;
  ctx.problems.push({
    source: 'marathon',
    appId,
    portIndex: n,
    label,
    value: excerpt(v),
    code: PROBLEM_CODES.BAD_LABEL,
    reason: `label must be true or false; using the default (${ctx.opts.san ? 'true' : 'false'})`,
  });
  return ctx.opts.san;
}

const ACME_LABEL = /^MARATHON_ACME_(\d+)_DOMAIN$/;
/**
 * A non-empty domain label for a port index ≥ the port count: 0.6.1 ignored it silently; we say so —
 * but only when that port would be in `--group` (other groups' labels are none of our business).
 */
function reportOutOfRange(ctx: Ctx, labels: Record<string, unknown>, appId: string, count: number): void {
  for (const key in labels) {
    if (key.charCodeAt(0) !== 77 /* M */ || !key.startsWith('MARATHON_ACME_') || !Object.hasOwn(labels, key)) continue;
    const m = ACME_LABEL.exec(key);
    if (m === null) continue;
    const n = Number(m[1]);
    const v = labels[key];
    if (n < count || typeof v !== 'string' || parseDomainLabel(v).length === 0 || !inGroup(ctx, labels, n)) continue;
    ctx.problems.push({
      source: 'marathon',
      appId,
      portIndex: n,
      label: key,
      value: excerpt(v),
      code: PROBLEM_CODES.PORT_INDEX_OUT_OF_RANGE,
      reason: `the app has ${count} service port(s); this label is ignored`,
    });
  }
}
