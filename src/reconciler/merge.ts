/**
 * Merge the snapshots of several sources into one desired map. The same certificate name from two
 * sources becomes one certificate asked for by both; if they disagree on its other names, the first
 * source's set wins and the disagreement becomes a problem record (never a silent flip-flop).
 */
import type { CertSpec, Problem, Snapshot } from '../domain/types.js';

export function mergeSnapshots(snapshots: readonly Snapshot[]): { desired: Map<string, CertSpec>; problems: Problem[] } {
  const desired = new Map<string, CertSpec>();
  const problems: Problem[] = [];
  for (const snap of snapshots) {
    problems.push(...snap.problems);
    for (const spec of snap.specs) {
      const seen = desired.get(spec.name);
      if (!seen) {
        desired.set(spec.name, spec);
        continue;
      }
      const same = seen.names.length === spec.names.length && spec.names.every((n) => seen.names.includes(n));
      if (!same) {
        const by = spec.requestedBy[0];
        problems.push({ source: by?.source ?? 'static', ...(by?.appId ? { appId: by.appId } : {}), ...(by?.portIndex !== undefined ? { portIndex: by.portIndex } : {}), value: spec.names.join(','), code: 'CONFLICTING_NAMES', reason: `certificate ${spec.name} is already requested with the names ${seen.names.join(',')}` });
      }
      desired.set(spec.name, { ...seen, requestedBy: [...seen.requestedBy, ...spec.requestedBy] });
    }
  }
  return { desired, problems };
}
