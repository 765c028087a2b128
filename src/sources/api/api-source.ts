/**
 * The API source: certificates that no Marathon app declares, added and removed at run time through
 * `PUT/DELETE /api/v1/domains/{name}` (what `--domains` does at start). The third desired-state source,
 * beside Marathon and `--domains`; its requester is `{ source: 'api' }` (`requested_by: api`).
 *
 * Persisted in `<storage>/api-domains.json` (`{"version": 1, "domains": {"<name>": ["<name>", ...]}}`),
 * written atomically (temp file, fsync, rename) before the change is acknowledged, read at start.
 * Names follow the same rules as labels and `--domains` (`acceptNames`, `--allowed-domains` included): a
 * request with any rejected name changes nothing. A deleted certificate is not removed at once: it becomes
 * unwanted and follows the removal grace and the mass-removal guard like any other.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Source, SourceHandlers, SourceStatus } from '../../domain/contracts.js';
import { SpecCollector } from '../../domain/desired.js';
import { acceptNames } from '../../domain/names.js';
import type { Snapshot } from '../../domain/types.js';
import type { Logger } from '../../lib/logger.js';

export const API_DOMAINS_FILE = 'api-domains.json';

/** The outcome of a PUT. */
export type PutResult =
  | { readonly ok: true; readonly created: boolean; readonly name: string; readonly names: readonly string[] }
  | { readonly ok: false; readonly code: string; readonly reason: string; readonly value: string };

/** Pure: the certificate `name` with `raw` names → its accepted names (name first), or the first rejection. */
export function acceptDomain(
  name: string,
  raw: readonly string[],
  allowedDomains: readonly string[],
  allowWildcard = false,
): PutResult {
  let refused: PutResult | undefined;
  const names = acceptNames(
    [name, ...raw],
    allowedDomains,
    (code, reason, value) => {
      refused ??= { ok: false, code, reason, value };
    },
    { allowWildcard },
  );
  if (refused) return refused;
  return { ok: true, created: true, name: names[0]!, names };
}

export class ApiDomainsSource implements Source {
  readonly name = 'api';
  private domains = new Map<string, readonly string[]>();
  private handlers: SourceHandlers | undefined;
  private at: Date | undefined;
  private lastError: SourceStatus['lastError'];
  private writes: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(
    storageDir: string,
    private readonly allowedDomains: readonly string[],
    private readonly log: Logger,
    /** Wildcards are accepted when DNS-01 is on (`--dns-provider`), as for labels and `--domains`. */
    private readonly allowWildcard = false,
  ) {
    this.file = join(storageDir, API_DOMAINS_FILE);
  }

  /** Reads the file (absent = none), emits a snapshot, then waits for `signal`. */
  async run(signal: AbortSignal, handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    try {
      this.domains = await this.load();
      this.resync();
    } catch (err) {
      // Without its file the source gives no snapshot: nothing it declared counts as unwanted.
      this.lastError = { code: 'API_DOMAINS_UNREADABLE', message: (err as Error).message, at: new Date() };
      this.log.error({ err, file: this.file }, 'cannot read the API domains');
      handlers.onError(err);
    }
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  resync(): void {
    if (!this.handlers || this.lastError) return;
    this.at = new Date();
    try {
      this.handlers.onSnapshot(this.snapshot());
    } catch (err) {
      this.log.error({ err }, 'snapshot handler threw');
    }
  }

  status(): SourceStatus {
    return {
      ...(this.at ? { lastSnapshotAt: this.at } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Every certificate the API declared, by name. */
  list(): ReadonlyMap<string, readonly string[]> {
    return this.domains;
  }

  /** Add or replace the certificate `name`; persisted before it resolves. Rejects if the file cannot be written. */
  async put(name: string, raw: readonly string[]): Promise<PutResult> {
    const r = acceptDomain(name, raw, this.allowedDomains, this.allowWildcard);
    if (!r.ok) return r;
    const created = !this.domains.has(r.name);
    await this.commit(new Map(this.domains).set(r.name, r.names));
    return { ...r, created };
  }

  /** Remove `name`; false when the API did not declare it. Rejects if the file cannot be written. */
  async remove(name: string): Promise<readonly string[] | undefined> {
    const names = this.domains.get(name);
    if (!names) return undefined;
    const next = new Map(this.domains);
    next.delete(name);
    await this.commit(next);
    return names;
  }

  snapshot(): Snapshot {
    const collector = new SpecCollector();
    for (const names of this.domains.values()) collector.add(names, [{ source: 'api' }]);
    return { specs: collector.specList(), problems: collector.problems };
  }

  private async commit(next: Map<string, readonly string[]>): Promise<void> {
    const write = this.writes.then(() => this.write(next));
    this.writes = write.catch(() => undefined);
    await write;
    this.domains = next;
    this.log.info({ domains: [...next.keys()] }, 'API domains changed');
    this.resync();
  }

  private async load(): Promise<Map<string, readonly string[]>> {
    const text = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    const map = new Map<string, readonly string[]>();
    if (text === undefined) return map;
    const doc = JSON.parse(text) as { domains?: Record<string, unknown> };
    for (const [name, raw] of Object.entries(doc.domains ?? {})) {
      if (!Array.isArray(raw)) continue;
      const r = acceptDomain(name, raw.map(String), this.allowedDomains, this.allowWildcard);
      if (r.ok) map.set(r.name, r.names);
      else this.log.warn({ domain: name, code: r.code, reason: r.reason }, 'API domain no longer accepted');
    }
    return map;
  }

  private async write(domains: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(`${JSON.stringify({ version: 1, domains: Object.fromEntries(domains) }, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
