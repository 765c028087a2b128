/**
 * In-memory doubles of the adapters (store, issuer, notifier), an event recorder, and virtual time:
 * the reconciler and its rooms are tested against the contracts alone, without sleeping on real timers.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Change, Issuer, IssueRequest, Notifier, PendingOrder, Store } from '../../src/domain/contracts.js';
import type { LifecycleEvent, LifecycleEventInput, EventSink } from '../../src/domain/events.js';
import type {
  AccountState,
  CertSpec,
  CertState,
  IssuedCertificate,
  RenewalInfo,
  Snapshot,
  StoredCert,
} from '../../src/domain/types.js';

export const DAY = 86_400_000;
/** Where virtual time starts. */
export const T0 = Date.parse('2026-11-22T12:00:00.000Z');

/**
 * Virtual time for one test: `setTimeout` and `Date` are node:test mocks, so the code under test uses
 * `Date.now` (or a `clock: () => Date.now()`) and its timers move only when the test moves them.
 * Promise chains run between steps (`flush`), so async work interleaves with timers as it would.
 */
export class VirtualTime {
  constructor(
    private readonly t: TestContext,
    start = T0,
  ) {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: start });
  }

  /** The injected clock. */
  readonly now = (): number => Date.now();

  /** Let pending promise chains run (setImmediate is left real for this). */
  async flush(rounds = 5): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Move time on by `ms`, in steps of `step` ms, letting promises run between the steps. */
  async advance(ms: number, step = 5): Promise<void> {
    for (let left = ms; left > 0; left -= step) {
      await this.flush();
      this.t.mock.timers.tick(Math.min(step, left));
    }
    await this.flush();
  }

  /** Move time on (in 5 ms steps) until `cond` holds; fails after `limitMs` of virtual time. */
  async until(cond: () => boolean, what: string, limitMs = 5000): Promise<void> {
    for (let waited = 0; ; waited += 5) {
      await this.flush();
      if (cond()) return;
      if (waited > limitMs) assert.fail(`timed out waiting for: ${what}`);
      this.t.mock.timers.tick(5);
    }
  }

  /** Resolve `p`, moving time on while it is pending. */
  async settle<T>(p: Promise<T>, what: string): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    await this.until(() => done, what, 60_000);
    return watched;
  }
}

/** A file-system error with its errno, as node:fs rejects. */
export const fsError = (errno: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${errno}: simulated`), { code: errno });

/**
 * The store in memory. `install` reads the certificate back as a 90-day leaf whose serial is its PEM
 * and whose ARI certificate id is `id-<PEM>`; `readLeafPem` answers the serial (the PEM) while the
 * certificate of that name has it.
 * While `broken` holds an errno (ENOSPC, EROFS, ...), every write fails with it; `keptBroken` makes the
 * kept-certificate area fail too.
 */
export class MemStore implements Store {
  certs = new Map<string, StoredCert>();
  states = new Map<string, CertState>();
  archived: string[] = [];
  account: AccountState | null = null;
  kept = new Map<string, { spec: CertSpec; cert: IssuedCertificate }>();
  broken: string | undefined;
  keptBroken = false;
  /** An install failure of one name only (the storage as a whole stays writable). */
  failInstall: ((name: string) => Error | undefined) | undefined;
  installs = 0;
  constructor(private readonly clock: () => number = () => Date.now()) {}
  private check(): void {
    if (this.broken) throw fsError(this.broken);
  }
  async keepIssued(spec: CertSpec, cert: IssuedCertificate) {
    if (this.keptBroken) throw fsError(this.broken ?? 'EIO');
    this.kept.set(spec.name, { spec, cert });
  }
  async readKept() {
    return [...this.kept.values()];
  }
  async dropKept(name: string) {
    this.kept.delete(name);
  }
  async init() {}
  async readAccountKey() {
    return null;
  }
  async writeAccountKey() {}
  /** Delay of `list()` (a slow start-up reading of thousands of bundles). */
  listDelayMs = 0;
  async list() {
    const certs = [...this.certs.values()];
    if (this.listDelayMs > 0) await new Promise((r) => setTimeout(r, this.listDelayMs));
    return { certs, unmanaged: [] };
  }
  async listNames() {
    return [...this.certs.keys()];
  }
  async install(spec: CertSpec, cert: IssuedCertificate): Promise<StoredCert> {
    this.check();
    const e = this.failInstall?.(spec.name);
    if (e) throw e;
    this.installs++;
    const now = this.clock();
    const c: StoredCert = {
      name: spec.name,
      names: [...spec.names],
      notBefore: new Date(now),
      notAfter: new Date(now + 90 * DAY),
      serial: cert.certPem,
      issuer: 'CN=Test CA',
      keyType: 'ec256',
      selfSigned: false,
      certId: `id-${cert.certPem}`,
    };
    this.certs.set(spec.name, c);
    return c;
  }
  /** Reads of `readLeafPem` (revocations). */
  leafReads: string[] = [];
  async readLeafPem(name: string, serial: string) {
    this.leafReads.push(name);
    return this.certs.get(name)?.serial === serial ? serial : undefined;
  }
  async archive(name: string) {
    this.certs.delete(name);
    this.archived.push(name);
  }
  /** Persisted pending orders (orders/<name>.json). */
  pendingOrders = new Map<string, PendingOrder>();
  async readPendingOrder(name: string) {
    return this.pendingOrders.get(name) ?? null;
  }
  async writePendingOrder(name: string, order: PendingOrder | null) {
    this.check();
    if (order) this.pendingOrders.set(name, order);
    else this.pendingOrders.delete(name);
  }
  async loadStates() {
    return new Map(this.states);
  }
  async saveState(name: string, s: CertState | null) {
    this.check();
    if (s) this.states.set(name, s);
    else this.states.delete(name);
  }
  async readAccountState() {
    return this.account;
  }
  async writeAccountState(s: AccountState) {
    this.check();
    this.account = s;
  }
  async checkWritable() {
    if (this.broken)
      throw Object.assign(new Error('not writable'), { code: 'STORAGE_NOT_WRITABLE', cause: fsError(this.broken) });
  }
}

/** A certificate stored before the test began (serial `old-<name>`, 80 days left, no ARI id unless given). */
export function storedCert(name: string, now: number, o: Partial<StoredCert> = {}): StoredCert {
  return {
    name,
    names: [name],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 80 * DAY),
    serial: `old-${name}`,
    issuer: 'CN=Test CA',
    keyType: 'ec256',
    selfSigned: false,
    ...o,
  };
}

/**
 * An issuer that takes 5 ms per order and issues certificates whose PEM is `serial-<n>`. It reports the
 * order's progress as the Issuer contract says (`sending` before newOrder, `created` once accepted).
 * Failures can be injected at each step: `failBefore` (a shared step before newOrder: directory,
 * account), `refuse` (newOrder sent, not accepted), `fail` (after the CA accepted the order).
 * `probe` fails while `down` returns an error.
 */
export class FakeIssuer implements Issuer {
  requests: IssueRequest[] = [];
  /** Orders the CA accepted (newOrder answered 201). */
  created = 0;
  fail: ((r: IssueRequest) => Error | undefined) | undefined;
  failBefore: ((r: IssueRequest) => Error | undefined) | undefined;
  refuse: ((r: IssueRequest) => Error | undefined) | undefined;
  down: (() => Error | undefined) | undefined;
  probes = 0;
  /** The renewal info of the certificate whose ARI id is given (`id-<PEM>` for MemStore's). */
  ari: (certId: string) => RenewalInfo | null = () => null;
  revoked: string[] = [];
  private serial = 0;
  /** Put before each serial (tells the certificates of several fake CAs apart). */
  prefix = '';
  constructor(readonly directoryUrl = 'https://ca.test/directory') {}
  async issue(r: IssueRequest): Promise<IssuedCertificate> {
    this.requests.push(r);
    await new Promise((res) => setTimeout(res, 5));
    const before = this.down?.() ?? this.failBefore?.(r);
    if (before) throw before;
    await r.progress?.sending();
    const refused = this.refuse?.(r);
    if (refused) throw refused;
    this.created++;
    r.progress?.created(`https://ca.test/order/${this.created}`);
    const e = this.fail?.(r);
    if (e) throw e;
    return { keyPem: 'KEY', certPem: `${this.prefix}serial-${++this.serial}`, chainPem: '' };
  }
  async probe(): Promise<void> {
    this.probes++;
    const e = this.down?.();
    if (e) throw e;
  }
  async renewalInfo(certId: string) {
    return this.ari(certId);
  }
  async revoke(certPem: string, _reason?: number) {
    this.revoked.push(certPem);
  }
  status() {
    return { reachable: true, directoryUrl: this.directoryUrl };
  }
}

/** A notifier that records each batch and answers `{ ok: true }`. */
export class FakeNotifier implements Notifier {
  readonly name = 'fake';
  calls: Change[] = [];
  async notify(c: Change) {
    this.calls.push(c);
    return { ok: true };
  }
  async stop() {}
}

/** An event sink that keeps every event, numbered as a bus would. */
export class EventRecorder implements EventSink {
  readonly events: LifecycleEvent[] = [];
  emit(e: LifecycleEventInput): void {
    this.events.push({ ...e, id: this.events.length + 1 } as LifecycleEvent);
  }
  of<T extends LifecycleEvent['type']>(type: T): Extract<LifecycleEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<LifecycleEvent, { type: T }> => e.type === type);
  }
}

export const spec = (name: string, ...more: string[]): CertSpec => ({
  name,
  names: [name, ...more],
  requestedBy: [{ source: 'marathon', appId: `/${name}`, portIndex: 0 }],
});

export const snap = (...specs: CertSpec[]): Snapshot => ({ specs, problems: [] });
