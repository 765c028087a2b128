/**
 * The reconciler's gates (gate.ts): one per configured CA, in order of preference, and our own storage.
 * Which jobs they hold, how a waiting job is described in /status, and their status.
 *
 * Contract: an order may start while the storage is open and at least one CA is (it goes to the most
 * preferred open one, and falls back along the open ones); each CA's gate closes and is probed on its
 * own, so one CA's outage never holds orders that another CA can take.
 */
import type { Issuer, Store } from '../domain/contracts.js';
import type { Logger } from '../lib/logger.js';
import { Gate, type GateStatus } from './gate.js';
import type { Job } from './queue.js';

export interface GatesOptions {
  /** Every configured CA's issuer, in order of preference (at least one). */
  readonly issuers: readonly Pick<Issuer, 'probe' | 'directoryUrl'>[];
  readonly store: Pick<Store, 'checkWritable'>;
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly signal: () => AbortSignal;
  /** A gate re-opened: plan again. */
  readonly onOpen: () => void;
}

export class Gates {
  /** `ca`: the most preferred CA's gate; `storage`. */
  readonly byName: { readonly ca: Gate; readonly storage: Gate };
  /** Each CA's gate, by directory URL, in order of preference. */
  readonly cas: ReadonlyMap<string, Gate>;

  constructor(opts: GatesOptions) {
    const { issuers, store, ...common } = opts;
    const cas = new Map<string, Gate>();
    for (const issuer of issuers)
      cas.set(
        issuer.directoryUrl,
        new Gate({
          ...common,
          log: common.log.child({ ca: issuer.directoryUrl }),
          name: 'ca',
          // Without a probe of its own, the issuer is simply tried again after the probe delay.
          probe: (signal) => (issuer.probe ? issuer.probe(signal) : Promise.resolve()),
          messages: { closed: 'CA not available; orders wait for it', opened: 'CA available again; orders resume' },
        }),
      );
    this.cas = cas;
    this.byName = {
      ca: cas.values().next().value!,
      storage: new Gate({
        ...common,
        name: 'storage',
        probe: () => store.checkWritable(),
        messages: {
          closed: 'storage not writable; orders wait for it',
          opened: 'storage writable again; orders resume',
        },
      }),
    };
  }

  /** The gate of the CA at `directoryUrl` (the most preferred CA's for an unknown URL). */
  ca(directoryUrl: string | undefined): Gate {
    return (directoryUrl !== undefined ? this.cas.get(directoryUrl) : undefined) ?? this.byName.ca;
  }

  /** Some CA takes orders. */
  anyCaOpen(): boolean {
    for (const g of this.cas.values()) if (g.open) return true;
    return false;
  }

  /** Whether a job may start: orders need a CA and the storage, installs the storage, ARI checks a CA. */
  canStart(job: Pick<Job, 'kind'>): boolean {
    const { storage } = this.byName;
    switch (job.kind) {
      case 'issue':
      case 'renew':
        return this.anyCaOpen() && storage.open;
      case 'install':
        return storage.open;
      case 'check-ari':
        return this.anyCaOpen();
      case 'remove':
        return true;
    }
  }

  /** `<kind> (<running|queued|waiting for the CA|waiting for the storage>): <reason>`, for /status. */
  describe(job: Pick<Job, 'kind' | 'running' | 'reason'>): string {
    const waitingFor = this.canStart(job)
      ? undefined
      : !this.byName.storage.open && job.kind !== 'check-ari'
        ? 'the storage'
        : 'the CA';
    const state = job.running ? 'running' : waitingFor ? `waiting for ${waitingFor}` : 'queued';
    return `${job.kind} (${state}): ${job.reason}`;
  }

  /**
   * `ca`: open while some CA takes orders, else the most preferred CA's wait; `cas`: each CA's gate by
   * directory URL (only with several CAs).
   */
  status(): {
    readonly ca: GateStatus;
    readonly storage: GateStatus;
    readonly cas?: Readonly<Record<string, GateStatus>>;
  } {
    const ca = this.anyCaOpen() ? { state: 'open' as const } : this.byName.ca.status();
    const cas = this.cas.size > 1 ? Object.fromEntries([...this.cas].map(([url, g]) => [url, g.status()])) : undefined;
    return { ca, storage: this.byName.storage.status(), ...(cas ? { cas } : {}) };
  }

  /** Shutdown: no more probes. */
  stop(): void {
    for (const g of this.cas.values()) g.stop();
    this.byName.storage.stop();
  }
}
