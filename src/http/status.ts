/** /status: what each part says about itself, as one JSON document. */
import type { Issuer, Source } from '../domain/contracts.js';

/** The parts whose status /status shows. */
export interface StatusParts {
  readonly version: string;
  readonly sources: readonly Pick<Source, 'name' | 'status'>[];
  readonly issuer: Pick<Issuer, 'status'>;
  /** The reconciler's report (certificates, queue, budget, ...): its fields are spread at the top level. */
  readonly reconciler: { status(): object };
  /** The agents' bundle feed, when `--sync-listen` serves one: where, and the fingerprint agents pin. */
  readonly sync?: { readonly value?: { readonly listen: string; readonly fingerprint_sha256: string } };
}

/** `{ version, sources: { <name>: status }, ca, ...reconciler status, sync? }`, in this key order. */
export function statusReport(p: StatusParts): Record<string, unknown> {
  return {
    version: p.version,
    sources: Object.fromEntries(p.sources.map((s) => [s.name, s.status()])),
    ca: p.issuer.status(),
    ...p.reconciler.status(),
    ...(p.sync?.value ? { sync: p.sync.value } : {}),
  };
}
