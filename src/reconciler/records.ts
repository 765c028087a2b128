/**
 * What the reconciler has observed: the certificates in the storage directory, their state records,
 * the files it does not manage, the certificates the CA issued that could not be written yet ("kept"),
 * and the deferrals of failed checks and removals. One instance, shared by the loop (plans from it),
 * the jobs (change it) and the delivery (marks records).
 *
 * Contract: the in-memory records are the truth the next plan sees; `save` writes through to the store
 * and a failed write is logged, never thrown (only a restart would lose it). A kept certificate lives
 * in memory and, when the store can write it, outside `certs/` too, so neither a storage outage nor a
 * restart makes the CA issue it again.
 */
import type { Store } from '../domain/contracts.js';
import type { CertSpec, CertState, IssuedCertificate, StoredCert } from '../domain/types.js';
import { sameNames } from '../domain/name-rules.js';
import { stateFromCert } from '../domain/policy.js';
import type { Logger } from '../lib/logger.js';

/** A certificate the CA issued whose write failed: installed once the storage is writable again. */
export interface KeptCert {
  readonly spec: CertSpec;
  readonly cert: IssuedCertificate;
}

export class Records {
  stored = new Map<string, StoredCert>();
  states = new Map<string, CertState>();
  unmanaged: readonly string[] = [];
  /** Issued, not written yet: by name. */
  readonly kept = new Map<string, KeptCert>();
  /** Names with a file in certs/ not read yet (start-up): nothing is decided for them until it is. */
  adopting: ReadonlySet<string> = new Set();
  /** Names changed in memory while a `load` runs: the reading may predate the change, memory wins. */
  private touched: Set<string> | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Replace everything with a fresh reading of the store. State is derived data: a certificate without a record gets one rebuilt from its PEM. */
  async load(): Promise<void> {
    const touched = new Set<string>();
    this.touched = touched;
    let listing: Awaited<ReturnType<Store['list']>>;
    let states: Map<string, CertState>;
    let kept: ReadonlyArray<KeptCert>;
    try {
      [listing, states, kept] = await Promise.all([
        this.store.list(),
        this.store.loadStates(),
        this.store.readKept ? this.store.readKept() : [],
      ]);
    } finally {
      this.touched = undefined;
    }
    const stored = new Map(listing.certs.map((c) => [c.name, c]));
    // Installed, removed or recorded while the reading ran: what memory says is newer.
    for (const name of touched) {
      const c = this.stored.get(name);
      const st = this.states.get(name);
      if (c) stored.set(name, c);
      else stored.delete(name);
      if (st) states.set(name, st);
      else states.delete(name);
    }
    this.stored = stored;
    this.unmanaged = listing.unmanaged.filter((n) => !touched.has(n.replace(/\.pem$/, '')));
    this.states = states;
    for (const c of listing.certs) if (!this.states.has(c.name)) this.states.set(c.name, stateFromCert(c));
    for (const k of kept) if (!this.kept.has(k.spec.name)) this.kept.set(k.spec.name, k);
    if (kept.length > 0) this.log.info({ count: kept.length }, 'issued certificates waiting to be written found');
    this.adopting = new Set();
  }

  /**
   * Start-up, before `load`: the state records, the kept certificates and the NAMES of the files in
   * certs/ (unread, in `adopting`), so that work for names with no file can start while `load` parses
   * every bundle. False (nothing read) when the store cannot list names cheaply.
   */
  async loadNames(): Promise<boolean> {
    if (!this.store.listNames) return false;
    const [names, states, kept] = await Promise.all([
      this.store.listNames(),
      this.store.loadStates(),
      this.store.readKept ? this.store.readKept() : [],
    ]);
    this.adopting = new Set(names);
    this.states = states;
    for (const k of kept) if (!this.kept.has(k.spec.name)) this.kept.set(k.spec.name, k);
    return true;
  }

  /** The kept certificate for `spec`, if its names are still the wanted ones. */
  keptFor(spec: CertSpec): KeptCert | undefined {
    const k = this.kept.get(spec.name);
    return k && sameNames(k.spec.names, spec.names) ? k : undefined;
  }

  /** Keep an issued certificate that could not be written: in memory, and outside certs/ if the store can. */
  async keep(spec: CertSpec, cert: IssuedCertificate): Promise<void> {
    this.kept.set(spec.name, { spec, cert });
    if (!this.store.keepIssued) return;
    try {
      await this.store.keepIssued(spec, cert);
    } catch (err) {
      this.log.error({ domain: spec.name, err }, 'cannot keep the issued certificate on disk; kept in memory');
    }
  }

  /** Forget a kept certificate (installed, or no longer wanted with these names). */
  async dropKept(name: string): Promise<void> {
    if (!this.kept.delete(name) || !this.store.dropKept) return;
    await this.store
      .dropKept(name)
      .catch((err: unknown) => this.log.warn({ domain: name, err }, 'cannot delete the kept certificate'));
  }

  /** The record of `name`: the saved one, else one rebuilt from its certificate, else a fresh one. */
  stateOf(name: string, spec?: CertSpec): CertState {
    const existing = this.states.get(name);
    if (existing) return existing;
    const stored = this.stored.get(name);
    if (stored) return stateFromCert(stored);
    return { name, names: spec?.names ?? [name], requestedBy: spec?.requestedBy ?? [], failures: 0 };
  }

  /** A certificate was installed (`cert`) or archived (undefined). */
  setStored(name: string, cert: StoredCert | undefined): void {
    this.touched?.add(name);
    if (cert) this.stored.set(name, cert);
    else this.stored.delete(name);
  }

  async save(state: CertState): Promise<void> {
    this.touched?.add(state.name);
    this.states.set(state.name, state);
    try {
      await this.store.saveState(state.name, state);
    } catch (err) {
      // The in-memory record still drives backoff; only a restart would lose it.
      this.log.error({ domain: state.name, err }, 'cannot write state record');
    }
  }

  /** Drop the record of `name` (memory and store); rejects if the store cannot delete it. */
  async drop(name: string): Promise<void> {
    this.touched?.add(name);
    this.states.delete(name);
    await this.store.saveState(name, null);
  }
}

/** Checks and removals that failed unexpectedly wait before their next try (no hot loop). Keyed by job kind and name. */
export class Deferrals {
  private readonly notBefore = new Map<string, number>();

  /** When `kind name` may run again, if it is deferred. */
  until(kind: string, name: string): number | undefined {
    return this.notBefore.get(`${kind} ${name}`);
  }

  defer(kind: string, name: string, until: number): void {
    this.notBefore.set(`${kind} ${name}`, until);
  }

  clear(kind: string, name: string): void {
    this.notBefore.delete(`${kind} ${name}`);
  }
}
