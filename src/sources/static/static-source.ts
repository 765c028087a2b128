/**
 * The static source: certificates named on the command line (`--domains` / MARATHON_ACME_DOMAINS),
 * what rancher-lets-encrypt's DOMAINS did. Same validation as Marathon labels; one snapshot at start.
 */
import type { Source, SourceHandlers, SourceStatus } from '../../domain/contracts.js';
import { excerpt, SpecCollector } from '../../domain/desired.js';
import { acceptNames } from '../../domain/names.js';
import type { Problem, Snapshot } from '../../domain/types.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Pure: raw name lists (one per certificate) -> snapshot. Invalid or disallowed names become problems.
 * `allowedDomains` are normalised suffixes (see `normalizeSuffix`); empty allows every name.
 */
export function staticSnapshot(
  certs: readonly (readonly string[])[],
  allowedDomains: readonly string[],
  allowWildcard = false,
): Snapshot {
  const collector = new SpecCollector();
  const problems: Problem[] = [];
  certs.forEach((raw, index) => {
    const names = acceptNames(
      raw,
      allowedDomains,
      (code, reason, r) => {
        problems.push({ source: 'static', label: 'MARATHON_ACME_DOMAINS', value: excerpt(r), code, reason });
      },
      { allowWildcard },
    );
    if (names.length > 0) collector.add(names, [{ source: 'static', portIndex: index }]);
  });
  return { specs: collector.specList(), problems: [...problems, ...collector.problems] };
}

export class StaticSource implements Source {
  readonly name = 'static';
  private readonly snapshot: Snapshot;
  private at: Date | undefined;
  private handlers: SourceHandlers | undefined;

  constructor(
    certs: readonly (readonly string[])[],
    allowedDomains: readonly string[],
    private readonly logger?: Logger,
    allowWildcard = false,
  ) {
    this.snapshot = staticSnapshot(certs, allowedDomains, allowWildcard);
  }

  /** Emits its one snapshot, then waits for `signal`. */
  async run(signal: AbortSignal, handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    for (const p of this.snapshot.problems)
      this.logger?.warn({ source: 'static', value: p.value, code: p.code, reason: p.reason }, 'label problem');
    this.resync();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Re-emits the snapshot. Never throws: a throwing handler is logged (the Source contract). */
  resync(): void {
    this.at = new Date();
    try {
      this.handlers?.onSnapshot(this.snapshot);
    } catch (err) {
      this.logger?.error({ err }, 'snapshot handler threw');
    }
  }

  status(): SourceStatus {
    return this.at ? { lastSnapshotAt: this.at } : {};
  }
}
