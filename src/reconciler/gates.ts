/**
 * The reconciler's two gates (gate.ts): the CA and our own storage. Which jobs each one holds, how a
 * waiting job is described in /status, and their status.
 */
import type { Issuer, Store } from '../domain/contracts.js';
import type { Logger } from '../lib/logger.js';
import { Gate, type GateStatus } from './gate.js';
import type { Job } from './queue.js';

export interface GatesOptions {
  readonly issuer: Pick<Issuer, 'probe'>;
  readonly store: Pick<Store, 'checkWritable'>;
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly signal: () => AbortSignal;
  /** A gate re-opened: plan again. */
  readonly onOpen: () => void;
}

export class Gates {
  readonly byName: { readonly ca: Gate; readonly storage: Gate };

  constructor(opts: GatesOptions) {
    const { issuer, store, ...common } = opts;
    this.byName = {
      ca: new Gate({
        ...common,
        name: 'ca',
        // Without a probe of its own, the issuer is simply tried again after the probe delay.
        probe: (signal) => (issuer.probe ? issuer.probe(signal) : Promise.resolve()),
        messages: { closed: 'CA not available; orders wait for it', opened: 'CA available again; orders resume' },
      }),
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

  /** Whether a job may start: orders need the CA and the storage, installs the storage, ARI checks the CA. */
  canStart(job: Pick<Job, 'kind'>): boolean {
    const { ca, storage } = this.byName;
    switch (job.kind) {
      case 'issue':
      case 'renew':
        return ca.open && storage.open;
      case 'install':
        return storage.open;
      case 'check-ari':
        return ca.open;
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

  status(): { readonly ca: GateStatus; readonly storage: GateStatus } {
    return { ca: this.byName.ca.status(), storage: this.byName.storage.status() };
  }

  /** Shutdown: no more probes. */
  stop(): void {
    this.byName.ca.stop();
    this.byName.storage.stop();
  }
}
