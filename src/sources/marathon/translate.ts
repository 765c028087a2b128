/**
 * Marathon apps → desired certificates, exactly as marathon-acme 0.6.1 reads labels
 * (reference/marathon-acme-behaviour.md §4.1, §4.2; tests §9.3, §9.8), plus validation: every name goes
 * through `acceptNames`, and anything rejected becomes a `Problem` while every other app proceeds.
 * Which labels are read is in labels.ts; how service ports are counted is in ports.ts.
 *
 * Pure and total: `appsToSnapshot` never throws, whatever JSON it is given (fuzz-tested).
 *
 * SAN mode (new): when on for a port, ALL names of that port's label become ONE certificate whose
 * file is named after the first valid name (`names[0]`); `--allow-multiple-certs` does not matter then.
 * When off (the default, 0.6.1 behaviour) each name is its own certificate, and only the first name
 * of a port is used unless `allowMultipleCerts`.
 */
import { excerpt, SpecCollector } from '../../domain/desired.js';
import { parseChallengeLabel } from '../../domain/challenge.js';
import { acceptNames } from '../../domain/names.js';
import type { ChallengeType, Problem, Requester, Snapshot } from '../../domain/types.js';
import type { ErrorCode } from '../../lib/error-codes.js';
import { isObject, own } from './json.js';
import {
  challengeLabel,
  type DomainLabel,
  domainLabel,
  domainLabelsBeyond,
  inGroup,
  MAX_LABEL_LENGTH,
  parseDomainLabel,
  parseSanLabel,
  sanLabel,
} from './labels.js';
import { portCount } from './ports.js';

export interface LabelOptions {
  /** `--group`: exact, case-sensitive match; absent never matches. */
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
  /** A DNS provider is configured (`--dns-provider`): wildcard names are accepted (DNS-01). */
  readonly allowWildcard?: boolean;
}

/** Codes of the catalogue produced here (besides those of `acceptNames` and `SpecCollector`). */
export const PROBLEM_CODES = {
  /** The app entry is not an object, has no string `id`, no `labels` object, or odd port fields. */
  BAD_APP: 'BAD_APP',
  /** A label we read has a non-string or unusable value. */
  BAD_LABEL: 'BAD_LABEL',
  /** 0.6.1's warning: several names on a port without `--allow-multiple-certs`; only the first is used. */
  MULTIPLE_DOMAINS_IGNORED: 'MULTIPLE_DOMAINS_IGNORED',
  /** `MARATHON_ACME_{n}_DOMAIN` for a port index the app does not have (0.6.1 ignored it silently). */
  PORT_INDEX_OUT_OF_RANGE: 'PORT_INDEX_OUT_OF_RANGE',
  /** A label value longer than `MAX_LABEL_LENGTH`: skipped unread. */
  LABEL_TOO_LARGE: 'LABEL_TOO_LARGE',
  /** An app definition larger than the reader's limit: skipped unparsed (see apps-stream.ts). */
  APP_TOO_LARGE: 'APP_TOO_LARGE',
} as const satisfies Record<string, ErrorCode>;

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

  /**
   * An app the reader skipped unparsed because its definition is larger than `maxBytes`: it counts
   * as an app (numbering) and becomes an APP_TOO_LARGE problem; `idHint` is its `id` when the reader
   * could see it. Its names are unknown, so it wants no certificate in this snapshot.
   */
  addOversized(idHint: string | undefined, bytes: number, maxBytes: number): void {
    const i = this.index++;
    this.ctx.problems.push({
      source: 'marathon',
      ...(idHint !== undefined ? { appId: excerpt(idHint) } : {}),
      code: PROBLEM_CODES.APP_TOO_LARGE,
      reason: `app #${i} is ${bytes} bytes, over the limit of ${maxBytes}; it is skipped`,
    });
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

function readApp(ctx: Ctx, app: unknown, index: number): void {
  if (!isObject(app)) {
    const value = excerpt(app);
    ctx.problems.push({
      source: 'marathon',
      code: PROBLEM_CODES.BAD_APP,
      reason: `app #${index} is not an object`,
      value,
    });
    return;
  }
  const id = own(app, 'id');
  if (typeof id !== 'string' || id.length === 0) {
    const value = excerpt(id);
    ctx.problems.push({
      source: 'marathon',
      code: PROBLEM_CODES.BAD_APP,
      reason: `app #${index} has no string id`,
      value,
    });
    return;
  }
  const appId = excerpt(id);
  const labels = own(app, 'labels');
  if (!isObject(labels)) {
    // 0.6.1 failed the whole sync with KeyError here (§4.1 step 1); Marathon always sends {}.
    const value = excerpt(labels);
    ctx.problems.push({
      source: 'marathon',
      appId,
      code: PROBLEM_CODES.BAD_APP,
      reason: 'app has no labels object',
      value,
    });
    return;
  }
  const ports = portCount(app);
  if (!ports.ok) {
    ctx.problems.push({ source: 'marathon', appId, code: PROBLEM_CODES.BAD_APP, reason: ports.reason });
    return;
  }
  for (let n = 0; n < ports.count; n++) {
    if (inGroup(labels, n, ctx.opts.group)) readPort(ctx, labels, appId, n);
  }
  for (const l of domainLabelsBeyond(labels, ports.count, ctx.opts.group))
    ctx.problems.push(unreadLabel(l, appId, ports.count));
}

/** The problem for a domain label no port reads (see `domainLabelsBeyond`). */
function unreadLabel(l: DomainLabel, appId: string, count: number): Problem {
  const where = { source: 'marathon', appId, portIndex: l.portIndex, label: l.label, value: excerpt(l.value) } as const;
  if (l.kind === 'not-string')
    return { ...where, code: PROBLEM_CODES.BAD_LABEL, reason: 'label value is not a string; the label is ignored' };
  if (typeof l.value === 'string' && l.value.length > MAX_LABEL_LENGTH)
    return { ...where, code: PROBLEM_CODES.LABEL_TOO_LARGE, reason: tooLarge(l.value.length) };
  if (l.kind === 'padded-index')
    return {
      ...where,
      code: PROBLEM_CODES.BAD_LABEL,
      reason: 'the port index has leading zeros, so no port reads this label; it is ignored',
    };
  return {
    ...where,
    code: PROBLEM_CODES.PORT_INDEX_OUT_OF_RANGE,
    reason: `the app has ${count} service port(s); this label is ignored`,
  };
}

function tooLarge(length: number): string {
  return `label value is ${length} characters, over the limit of ${MAX_LABEL_LENGTH}; it is ignored`;
}

function readPort(ctx: Ctx, labels: Record<string, unknown>, appId: string, n: number): void {
  const label = domainLabel(n);
  if (!Object.hasOwn(labels, label)) return;
  const value = labels[label];
  const problem = (code: ErrorCode, reason: string, v: unknown): void => {
    ctx.problems.push({ source: 'marathon', appId, portIndex: n, label, value: excerpt(v), code, reason });
  };
  // null too: Marathon's labels are strings, so a null is a broken label, not an absent one.
  if (typeof value !== 'string') {
    problem(PROBLEM_CODES.BAD_LABEL, 'label value is not a string', value);
    return;
  }
  if (value.length > MAX_LABEL_LENGTH) {
    problem(PROBLEM_CODES.LABEL_TOO_LARGE, tooLarge(value.length), value);
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
  const names = acceptNames(wanted, ctx.opts.allowedDomains, problem, {
    allowWildcard: ctx.opts.allowWildcard === true,
  });
  const requester: Requester = { source: 'marathon', appId, portIndex: n };
  const challenge = challengeMode(ctx, labels, appId, n);
  if (san) ctx.collector.add(names, [requester], challenge);
  else for (const name of names) ctx.collector.add([name], [requester], challenge);
}

/** `MARATHON_ACME_{n}_CHALLENGE` (`dns-01`/`http-01`); an unusable value is a problem and the default holds. */
function challengeMode(ctx: Ctx, labels: Record<string, unknown>, appId: string, n: number): ChallengeType | undefined {
  const label = challengeLabel(n);
  const v = own(labels, label);
  if (v === undefined || v === null) return undefined;
  const challenge = typeof v === 'string' && v.length > MAX_LABEL_LENGTH ? undefined : parseChallengeLabel(v);
  if (challenge !== undefined) return challenge;
  ctx.problems.push({
    source: 'marathon',
    appId,
    portIndex: n,
    label,
    value: excerpt(v),
    code: PROBLEM_CODES.BAD_LABEL,
    reason: 'label must be dns-01 or http-01; the challenge is chosen per name',
  });
  return undefined;
}

/** `MARATHON_ACME_{n}_SAN` overrides the global flag; an unusable value is a problem and the flag holds. */
function sanMode(ctx: Ctx, labels: Record<string, unknown>, appId: string, n: number): boolean {
  const label = sanLabel(n);
  const v = own(labels, label);
  if (v === undefined || v === null) return ctx.opts.san;
  const san = typeof v === 'string' && v.length > MAX_LABEL_LENGTH ? undefined : parseSanLabel(v);
  if (san !== undefined) return san;
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
