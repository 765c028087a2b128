/** /status: what each part says about itself, as one JSON document. */
import type { Issuer, Source } from '../domain/contracts.js';
import { jsonChunks } from '../lib/json-chunks.js';

/** The parts whose status /status shows. */
export interface StatusParts {
  readonly version: string;
  readonly sources: readonly Pick<Source, 'name' | 'status'>[];
  readonly issuer: Pick<Issuer, 'status'>;
  /** Every CA of `--acme` in order of preference, when there are several (`issuer` is the first). */
  readonly issuers?: readonly Pick<Issuer, 'status'>[];
  /** The reconciler's report (certificates, queue, budget, ...): its fields are spread at the top level. */
  readonly reconciler: { status(): object; streamedStatus?(): { readonly certificates: Iterable<unknown> } };
  /** With `--zk`: `{ leader, members, self, since, ... }` as this instance sees the cluster. */
  readonly cluster?: () => object;
  /** The agents' bundle feed, when `--sync-listen` serves one: where, and the fingerprint agents pin. */
  readonly sync?: { readonly value?: { readonly listen: string; readonly fingerprint_sha256: string } };
}

/**
 * `{ version, [cluster], sources: { <name>: status }, ca, cas, ...reconciler status, sync? }`, in this key
 * order: `ca` is the first CA's status, `cas` every CA's in order of preference.
 */
export function statusReport(p: StatusParts): Record<string, unknown> {
  return {
    version: p.version,
    ...(p.cluster ? { cluster: p.cluster() } : {}),
    sources: Object.fromEntries(p.sources.map((s) => [s.name, s.status()])),
    ca: p.issuer.status(),
    cas: (p.issuers ?? [p.issuer]).map((i) => i.status()),
    ...p.reconciler.status(),
    ...(p.sync?.value ? { sync: p.sync.value } : {}),
  };
}

/**
 * The text of `statusReport(p)` in chunks, built as they are read (jsonChunks): the certificates
 * are built and serialised one at a time, and a caller that writes each chunk out before reading the
 * next holds one 64 KiB chunk at a time, never the whole text or every record. Falls back to serialising `statusReport` when the reconciler cannot stream.
 */
export function* statusJsonChunks(p: StatusParts): Generator<string> {
  const streamed = p.reconciler.streamedStatus?.();
  if (!streamed) {
    yield JSON.stringify(statusReport(p));
    return;
  }
  const report = statusReport({ ...p, reconciler: { status: () => streamed } });
  yield* jsonChunks(report, 'certificates', streamed.certificates);
}
