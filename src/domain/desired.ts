/**
 * Desired state: the certificates wanted (`CertSpec`) and the problems found (`Problem`), gathered per
 * source and merged across sources. Source-neutral: every source (Marathon, static `--domains`) builds
 * its snapshot with a `SpecCollector`, and the reconciler merges them with `mergeSnapshots`; both apply
 * the same rules (below), which depend on what is wanted, never on the order it was listed in.
 *
 * One file name, several name sets (a SAN label starting with a name another app wants alone, or two
 * SAN labels starting with the same name): the set with the FEWEST names keeps the file (ties: the
 * alphabetically first set). So nobody can put an app's name at the head of a SAN label and make that
 * app's own certificate depend on names it does not control (a SAN order failing on someone else's
 * name would leave the victim without a certificate). Each other set is not dropped but MOVED: written
 * under the first of its own names that no other certificate uses as its file name (its names reordered
 * so that one comes first; every name stays covered). A set that cannot move (each of its names already
 * names a file) is not ordered. Both cases are reported as SAN_CONFLICT, since an operator should
 * resolve the overlap. A set with more names than the CA allows in one certificate (`maxNames`) is
 * reported as SAN_TOO_MANY_NAMES and not ordered (not split: which names belong together is the app's
 * decision, and a split would invent file names the app never asked for).
 *
 * Pure and total: nothing here throws on any input.
 */
import type { CertSpec, ChallengeType, Problem, Requester, Snapshot } from './types.js';

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

/** The spec with the candidate's challenge choice, when it has one. */
function withChallenge(spec: CertSpec, c: Candidate): CertSpec {
  return c.challenge === undefined ? spec : { ...spec, challenge: c.challenge };
}

/** Options of the rules: the CA's limit of names per certificate (none when absent). */
export interface DesiredRules {
  readonly maxNames?: number;
}

interface Candidate {
  /** The names as first listed (names[0] is the file name asked for). */
  readonly names: readonly string[];
  /** The sorted set: the identity of a candidate (one set listed in two orders is one candidate). */
  readonly key: string;
  readonly requestedBy: Requester[];
  /** A label's challenge choice; when requesters disagree, `dns-01` wins (it validates every name). */
  challenge?: ChallengeType;
  /** The one spec this candidate was made of (`addSpec`), while nothing else was added to it. */
  origin?: CertSpec;
}

/**
 * Collects specs by file name: the same set of names → one spec with the requesters merged; the same
 * file name with a different set → resolved by the rules above (fewest names keeps the file, the
 * others move or are reported). `specList()` and `problems` resolve what was added so far.
 * Order of specs is the order of first appearance of their file names, moved sets last.
 */
export class SpecCollector {
  private readonly byFile = new Map<string, Candidate[]>();
  private resolved: { specs: CertSpec[]; problems: Problem[] } | undefined;

  constructor(private readonly rules: DesiredRules = {}) {}

  /** `names` must already be accepted (`acceptNames`); an empty list is ignored. */
  add(names: readonly string[], requesters: readonly Requester[], challenge?: ChallengeType): void {
    this.addFrom(names, requesters, challenge, undefined);
  }

  /**
   * `add` of a spec's names, requesters and challenge. The same outcome as `add`, except that a spec
   * the rules leave exactly as it is (wanted by it alone, keeping its file, its requesters and
   * challenge unchanged) comes out of `specList()` as that very object, not a copy.
   */
  addSpec(spec: CertSpec): void {
    this.addFrom(spec.names, spec.requestedBy, spec.challenge, spec);
  }

  private addFrom(
    names: readonly string[],
    requesters: readonly Requester[],
    challenge: ChallengeType | undefined,
    origin: CertSpec | undefined,
  ): void {
    const name = names[0];
    if (name === undefined) return;
    this.resolved = undefined;
    const key = [...names].sort().join(' ');
    let list = this.byFile.get(name);
    if (list === undefined) {
      list = [];
      this.byFile.set(name, list);
    }
    let candidate = list.find((c) => c.key === key);
    if (candidate === undefined) {
      candidate = { names: [...names], key, requestedBy: [], ...(origin ? { origin } : {}) };
      list.push(candidate);
    } else candidate.origin = undefined;
    addRequesters(candidate.requestedBy, requesters);
    if (challenge !== undefined && candidate.challenge !== 'dns-01') candidate.challenge = challenge;
  }

  specList(): CertSpec[] {
    return this.resolve().specs;
  }

  /** SAN_CONFLICT and SAN_TOO_MANY_NAMES problems of what was added. */
  get problems(): Problem[] {
    return this.resolve().problems;
  }

  private resolve(): { specs: CertSpec[]; problems: Problem[] } {
    if (this.resolved) return this.resolved;
    const problems: Problem[] = [];
    const winners = new Map<string, Candidate>();
    const losers: Array<{ file: string; winner: Candidate; loser: Candidate }> = [];
    for (const [file, all] of this.byFile) {
      const fits = all.filter((c) => this.fits(c, problems));
      const ranked = [...fits].sort(preference);
      const winner = ranked[0];
      if (winner === undefined) continue;
      winners.set(file, winner);
      for (const loser of ranked.slice(1)) losers.push({ file, winner, loser });
    }
    const specs: CertSpec[] = [...winners].map(([name, c]) =>
      c.origin && isUnchanged(c.origin, c)
        ? c.origin
        : withChallenge({ name, names: c.names, requestedBy: c.requestedBy }, c),
    );
    const taken = new Set(winners.keys());
    losers.sort((a, b) => a.file.localeCompare(b.file) || preference(a.loser, b.loser));
    for (const { file, winner, loser } of losers) {
      const moved = loser.names.find((n) => !taken.has(n));
      problems.push(conflict(file, winner, loser, moved));
      if (moved === undefined) continue;
      taken.add(moved);
      const names = [moved, ...loser.names.filter((n) => n !== moved)];
      specs.push(withChallenge({ name: moved, names, requestedBy: loser.requestedBy }, loser));
    }
    this.resolved = { specs, problems };
    return this.resolved;
  }

  /** False (and a problem) when the set has more names than the CA allows in one certificate. */
  private fits(c: Candidate, problems: Problem[]): boolean {
    const max = this.rules.maxNames;
    if (max === undefined || c.names.length <= max) return true;
    problems.push({
      ...requesterFields(c.requestedBy[0]),
      value: excerpt(c.names.join(',')),
      code: 'SAN_TOO_MANY_NAMES',
      reason: `certificate ${c.names[0]} would have ${c.names.length} names; the CA allows at most ${max} in one certificate, so it is not ordered`,
    });
    return false;
  }
}

/**
 * Whether `spec`, the one spec `c` was made of, is exactly (keys in order, values) the spec the rules
 * make of `c` as the winner of its file: its name is its first name (the file), its requesters had no
 * duplicate to drop, and it has no other property (a `challenge: undefined` included).
 */
function isUnchanged(spec: CertSpec, c: Candidate): boolean {
  const keys = Object.keys(spec);
  const want = c.challenge === undefined ? SPEC_KEYS : SPEC_KEYS_WITH_CHALLENGE;
  return (
    spec.name === c.names[0] &&
    spec.requestedBy.length === c.requestedBy.length &&
    spec.challenge === c.challenge &&
    keys.length === want.length &&
    keys.every((k, i) => k === want[i])
  );
}
const SPEC_KEYS = ['name', 'names', 'requestedBy'];
const SPEC_KEYS_WITH_CHALLENGE = [...SPEC_KEYS, 'challenge'];

/** Fewer names first, then the alphabetically first set: independent of the order things were listed in. */
function preference(a: Candidate, b: Candidate): number {
  return a.names.length - b.names.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function requesterFields(r: Requester | undefined): Pick<Problem, 'source' | 'appId' | 'portIndex'> {
  return {
    source: r?.source ?? 'marathon',
    ...(r?.appId !== undefined ? { appId: r.appId } : {}),
    ...(r?.portIndex !== undefined ? { portIndex: r.portIndex } : {}),
  };
}

function conflict(file: string, winner: Candidate, loser: Candidate, movedTo: string | undefined): Problem {
  const others = excerpt(winner.names.join(','));
  return {
    ...requesterFields(loser.requestedBy[0]),
    value: excerpt(loser.names.join(',')),
    code: 'SAN_CONFLICT',
    reason:
      movedTo === undefined
        ? `certificate ${file} is also wanted with the names ${others}, which keep that file; every name of this set already names a certificate, so it is not ordered`
        : `certificate ${file} is also wanted with the names ${others}, which keep that file; this set is written as ${movedTo} instead`,
  };
}

/** Requester lists are short (usually one entry): a linear duplicate check beats a Set per spec. */
function addRequesters(into: Requester[], requesters: readonly Requester[]): void {
  for (const r of requesters) {
    if (into.some((x) => x.source === r.source && x.appId === r.appId && x.portIndex === r.portIndex)) continue;
    into.push(r);
  }
}

/**
 * Merge the snapshots of several sources (Marathon, static `--domains`) into one, by the rules above
 * (`rules.maxNames`: the CA's limit). Problems are concatenated in order, the merge's own last. Pure
 * and total. A spec the merge leaves unchanged (see `SpecCollector.addSpec`) is the source's own
 * object, so the merged map does not hold a second copy of thousands of specs.
 */
export function mergeSnapshots(snapshots: readonly Snapshot[], rules: DesiredRules = {}): Snapshot {
  const c = new SpecCollector(rules);
  const problems: Problem[] = [];
  for (const s of snapshots) {
    for (const spec of s.specs) c.addSpec(spec);
    problems.push(...s.problems);
  }
  return { specs: c.specList(), problems: [...problems, ...c.problems] };
}
