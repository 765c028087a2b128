/**
 * The bundle feed's state: which bundles the daemon serves right now and their fingerprints, with a
 * version that grows by one per change and an epoch that names this server run.
 *
 * Contract:
 * - `epoch` is random per process (16 hex digits): a version is only comparable within one epoch. An
 *   agent that sees another epoch (a restarted daemon, another HA instance) takes the snapshot as a new
 *   full state, never as "going backwards".
 * - `version` starts at 1 once the first full scan is in (`ready`), and grows by one for every change of
 *   a bundle's fingerprint, a removal or a new default.pem; an update that changes nothing keeps it.
 * - `waitForChange` resolves (with the snapshot) as soon as the version passes `since`, `debounceMs`
 *   after the change that passed it (a burst of installs reaches the agents as one batch), or when
 *   `timeoutMs` or `signal` ends the wait; it never rejects.
 */
import { randomBytes } from 'node:crypto';

/** What an agent receives: the full list of bundles, each with the SHA-256 (hex) of its bytes. */
export interface SyncSnapshot {
  readonly epoch: string;
  readonly version: number;
  readonly certificates: readonly { readonly name: string; readonly sha256: string }[];
  /** SHA-256 of the daemon's default.pem, or null when it has none. */
  readonly default: string | null;
}

export class SyncFeed {
  readonly epoch: string;
  private version = 0;
  private readonly bundles = new Map<string, string>();
  private defaultSha: string | null = null;
  private waiters = new Set<() => void>();
  private cached: SyncSnapshot | undefined;

  constructor(
    epoch = randomBytes(8).toString('hex'),
    private readonly debounceMs = 100,
  ) {
    this.epoch = epoch;
  }

  /** True once the first full scan was set: before that the feed answers 503, never an empty list. */
  get ready(): boolean {
    return this.version > 0;
  }

  get currentVersion(): number {
    return this.version;
  }

  /** Replace the whole state (the start-up scan and the periodic rescans); a new version only if it differs. */
  setAll(bundles: ReadonlyMap<string, string>, defaultSha: string | null): void {
    let changed = this.version === 0 || defaultSha !== this.defaultSha || bundles.size !== this.bundles.size;
    for (const [name, sha] of bundles) if (this.bundles.get(name) !== sha) changed = true;
    if (!changed) return;
    this.bundles.clear();
    for (const [name, sha] of bundles) this.bundles.set(name, sha);
    this.defaultSha = defaultSha;
    this.bump();
  }

  /** One bundle written (`sha` its fingerprint) or removed (`null`). */
  update(name: string, sha: string | null): void {
    if (!this.ready || (this.bundles.get(name) ?? null) === sha) return;
    if (sha === null) this.bundles.delete(name);
    else this.bundles.set(name, sha);
    this.bump();
  }

  /** The fingerprint the feed serves for `name`, if any. */
  fingerprintOf(name: string): string | undefined {
    return this.bundles.get(name);
  }

  snapshot(): SyncSnapshot {
    if (!this.cached) {
      const certificates = [...this.bundles]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, sha256]) => ({ name, sha256 }));
      this.cached = { epoch: this.epoch, version: this.version, certificates, default: this.defaultSha };
    }
    return this.cached;
  }

  /** Long-poll: the snapshot once newer than `since` of `epoch` (at once if the epoch differs). */
  waitForChange(
    epoch: string | undefined,
    since: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SyncSnapshot> {
    if (epoch !== this.epoch || this.version > since || timeoutMs <= 0 || signal?.aborted)
      return Promise.resolve(this.snapshot());
    return new Promise((resolve) => {
      let debounce: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        clearTimeout(debounce);
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', done);
        resolve(this.snapshot());
      };
      const wake = (): void => {
        if (debounce === undefined) debounce = setTimeout(done, this.debounceMs);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(wake);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** How many long-polls are waiting (agents connected). */
  get waiting(): number {
    return this.waiters.size;
  }

  private bump(): void {
    this.version += 1;
    this.cached = undefined;
    for (const w of this.waiters) w();
  }
}
