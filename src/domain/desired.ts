/**
 * Desired state: the certificates wanted (`CertSpec`) and the problems found (`Problem`), gathered per
 * source and merged across sources. Source-neutral: every source (Marathon, static `--domains`) builds
 * its snapshot with a `SpecCollector`, and the reconciler merges them with `mergeSnapshots`; both apply
 * the same rule, so one name set per file name wins everywhere (SAN_CONFLICT).
 *
 * Pure and total: nothing here throws on any input.
 */
import type { CertSpec, Problem, Requester, Snapshot } from './types.js';

const MAX_EXCERPT = 120;
const PRINTABLE_SHORT = /^[\x20-\x7e]{0,120}$/;

/**
 * A printable, bounded excerpt of an untrusted value for `Problem.value`: control and line-separator
 * characters escaped, at most 120 characters (then `…`). Never throws.
 */
export function excerpt(value: unknown): string {
  if (typeof value === 'string' && PRINTABLE_SHORT.test(value)) return value;
  let s: string;
  try {
    s = typeof value === 'string' ? value : String(JSON.stringify(value));
  } catch {
    s = '[unprintable]';
  }
  s = s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return s.length > MAX_EXCERPT ? `${s.slice(0, MAX_EXCERPT)}…` : s;
}

/**
 * Collects specs by file name: same name → one spec with the requesters merged; the same file name
 * with a different set of names (SAN) → the first is kept and a SAN_CONFLICT problem is recorded.
 * Order of specs is the order of first appearance (deterministic for a given input).
 */
export class SpecCollector {
  private readonly specs = new Map<string, { names: readonly string[]; key: string; requestedBy: Requester[] }>();
  readonly problems: Problem[] = [];

  /** `names` must already be accepted (`acceptNames`); an empty list is ignored. */
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
        code: 'SAN_CONFLICT',
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
 * problem recorded. Problems are concatenated in order, the merge's own last. Pure and total.
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
