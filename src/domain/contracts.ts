/**
 * The interfaces between the reconciler and the adapters. Adapters implement them; `app/` wires them.
 * Each contract states what MUST hold; optional abilities are separate small interfaces.
 */
import type {
  AccountState,
  CertSpec,
  ChallengeType,
  CertState,
  IssuedCertificate,
  KeyType,
  RenewalInfo,
  Snapshot,
  StoredCert,
} from './types.js';

/** A source of desired certificates (Marathon, static `--domains`). */
export interface Source {
  readonly name: string;
  /**
   * Runs until `signal` aborts, then resolves. Calls `onSnapshot` with a FULL snapshot after every
   * successful complete reading (never a partial one: a failed read calls `onError` and is never an
   * empty snapshot). Transient failures are retried with backoff inside; this never rejects except on abort.
   */
  run(signal: AbortSignal, handlers: SourceHandlers): Promise<void>;
  /** Ask for a fresh reading as soon as possible (SIGHUP, API). Safe to call any time, coalesced. */
  resync(): void;
  /** Health facts for /health and the status page. */
  status(): SourceStatus;
}

export interface SourceHandlers {
  onSnapshot(snapshot: Snapshot): void;
  onError(err: unknown): void;
}

export interface SourceStatus {
  /** Time of the last successful snapshot, if any. */
  readonly lastSnapshotAt?: Date;
  /** Event stream state, for sources that have one. */
  readonly stream?: 'connected' | 'connecting' | 'disconnected';
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: Date };
}

/** One challenge to present: RFC 8555 §8. */
export interface Challenge {
  readonly type: 'http-01' | 'dns-01';
  /** The DNS identifier being validated; `*.<base>` for a wildcard authorization (RFC 8555 §7.1.4). */
  readonly identifier: string;
  readonly token: string;
  /** token "." base64url(JWK thumbprint); for dns-01 the TXT value is base64url(sha256(keyAuthorization)). */
  readonly keyAuthorization: string;
}

/**
 * Makes a challenge answerable. MUST be idempotent; `cleanUp` is always called (in `finally`) after
 * `present`, also on failure and cancellation; `present` resolves only once the answer is being served.
 */
export interface Solver {
  readonly type: 'http-01' | 'dns-01';
  present(challenge: Challenge, signal: AbortSignal): Promise<void>;
  cleanUp(challenge: Challenge): Promise<void>;
}

/**
 * Where HTTP-01 answers live between `present` and `cleanUp`, read by whichever instance receives the
 * CA's validation request. Implementations: `MemoryChallengeStore` (one process); a ZooKeeper store
 * for HA MUST make `present` visible to every instance before its promise resolves.
 */
export interface ChallengeStore {
  /** Serve `keyAuthorization` for `token`. Idempotent: presenting the same answer again changes nothing. */
  present(token: string, keyAuthorization: string): Promise<void>;
  /** The key authorization for `token`, or undefined. Never rejects for an unknown or withdrawn token. */
  lookup(token: string): Promise<string | undefined>;
  /** Stop serving `token`. Idempotent: an unknown or already withdrawn token is not an error. */
  cleanUp(token: string): Promise<void>;
}

export interface IssueRequest {
  /** DNS names; the first is the subject CN and the file name. */
  readonly names: readonly string[];
  readonly keyType: KeyType;
  /** ACME profile (sent only if the directory lists it). */
  readonly profile?: string;
  /** ARI certID of the certificate this one replaces (RFC 9773 §5). */
  readonly replaces?: string;
  /** Prefer the alternate chain whose top certificate's issuer CN matches. */
  readonly preferredChain?: string;
  /** Told how far the order got (the caller charges its order budget on it). */
  readonly progress?: OrderProgress;
  /** The certificate's own challenge choice (`CertSpec.challenge`); wildcards use DNS-01 regardless. */
  readonly challenge?: ChallengeType;
  /**
   * An order accepted earlier and not finished (this instance or a previous leader was stopped): fetch
   * it by URL and carry on — continue its authorizations, finalize with its key, or download what the CA
   * already issued — instead of ordering the names again. A resumed order that the CA no longer knows or
   * that ended invalid is replaced by a new order.
   */
  readonly resume?: PendingOrder;
}

/** An order the CA accepted, persisted before it is finalized (high availability, restarts). */
export interface PendingOrder {
  readonly orderUrl: string;
  /** PEM of the certificate's private key (its CSR is made from it). */
  readonly keyPem: string;
  readonly names: readonly string[];
  /** The directory URL of the CA that holds the order (absent in files written before several CAs). */
  readonly directoryUrl?: string;
}

/**
 * How far an order got, reported by the Issuer: the caller records a charge of its order budget
 * durably before the order is sent, and keeps it only for orders the CA accepted.
 */
export interface OrderProgress {
  /**
   * Awaited right before each newOrder request is sent (it may be called again for a retried newOrder);
   * when it rejects, nothing is sent and `issue` rejects with that error.
   */
  sending(): Promise<void>;
  /** The CA accepted the order (newOrder answered 201 with the order's URL), or a pending one was resumed. */
  created(orderUrl: string): void;
  /**
   * Awaited once a new order was accepted and its key exists, before any challenge is answered or the
   * order finalized: the caller persists it so that it can be resumed. When it rejects, `issue` rejects.
   */
  pending?(order: PendingOrder): Promise<void>;
  /** A challenge was presented, then validated or failed (with the CA's detail): for the history. */
  challenge?(fact: ChallengeFact): void;
  /** The CA accepted the CSR (finalize answered): for the history. */
  finalized?(): void;
}

/** What became of one challenge of an order. */
export interface ChallengeFact {
  readonly identifier: string;
  readonly type: Challenge['type'];
  readonly phase: 'presented' | 'validated' | 'failed';
  /** The CA's problem type and detail, for `failed`. */
  readonly problemType?: string;
  readonly detail?: string;
}

/** Obtains certificates from a CA. Implementations: `AcmeIssuer`. */
export interface Issuer {
  /** The CA's ACME directory URL: identifies the CA (a registry of several CAs keys issuers by it). */
  readonly directoryUrl: string;
  /**
   * Runs a whole order (new order → authorizations → finalize → download). Cancellable with `signal`.
   * Rejects with an `AcmeError` (typed problem, retryAfter) or an `AppError` (network, timeout, ...);
   * never retries 429/5xx itself — the caller decides.
   */
  issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedCertificate>;
  /**
   * RFC 9773 renewal info for the leaf whose ARI certificate id is `certId` (`StoredCert.certId`:
   * base64url(AKI keyIdentifier) "." base64url(serial DER)); `null` when the CA does not offer ARI (never
   * an error for that).
   */
  renewalInfo(certId: string, signal: AbortSignal): Promise<RenewalInfo | null>;
  /** Revoke by account key; `reason` is an RFC 5280 reason code (5 = cessationOfOperation). */
  revoke(certPem: string, reason: number, signal: AbortSignal): Promise<void>;
  /** Reachability of the CA as of the last exchange with it (our own cancellations do not count), for /health. */
  status(): { readonly reachable: boolean; readonly lastError?: string; readonly directoryUrl: string };
  /**
   * A cheap check that the CA answers (a GET of its directory, never cached): resolves when it does,
   * rejects with the failure otherwise. Orders that failed for lack of the CA wait on it.
   */
  probe?(signal: AbortSignal): Promise<void>;
}

/** The storage directory shared with marathon-lb. Implementation: `FileStore`. */
export interface Store {
  /** Create the layout if missing (idempotent); never touches an existing default.pem. Rejects if the directory does not exist. */
  init(): Promise<void>;
  /** `client.key` PEM, or null if absent. */
  readAccountKey(): Promise<string | null>;
  /** Write `client.key` atomically with mode 0600. */
  writeAccountKey(pem: string): Promise<void>;
  /** Bundles in `certs/`: ours (parsed), and files we did not write or cannot parse (never deleted). */
  list(): Promise<{ readonly certs: readonly StoredCert[]; readonly unmanaged: readonly string[] }>;
  /**
   * The names (file stems) of every `*.pem` file in `certs/`, without reading them: cheap, so planning
   * can start for names that have no file while `list()` still parses thousands of bundles.
   */
  listNames?(): Promise<readonly string[]>;
  /**
   * Check and atomically install `certs/<spec.name>.pem` (key, leaf, chain). A bundle that fails the
   * check (key/leaf mismatch, chain unparsable, names differ from `spec.names`, expired) is rejected with
   * an AppError and the previous file stays. Returns the installed certificate as read back.
   */
  install(spec: CertSpec, cert: IssuedCertificate): Promise<StoredCert>;
  /**
   * The leaf certificate PEM of `certs/<name>.pem` (`certs/_.<base>.pem` for `*.<base>`), read from the
   * file now, for a revocation: only while that file still holds the certificate with `serial` (hex,
   * lower case, as `StoredCert.serial`); undefined when the file is absent, is not a bundle, or holds
   * another certificate. Rejects with INVALID_NAME for an unsafe name, and with the file-system error
   * for a read that fails otherwise (EACCES, EIO, ...). Read-only.
   */
  readLeafPem(name: string, serial: string): Promise<string | undefined>;
  /** Move `certs/<name>.pem` out of `certs/` into the archive (never deletes). Idempotent. */
  archive(name: string): Promise<void>;
  /** All state records, keyed by name. Corrupt records are skipped (logged), never fatal. */
  loadStates(): Promise<Map<string, CertState>>;
  /** Atomically write (or with null, delete) one state record. */
  saveState(name: string, state: CertState | null): Promise<void>;
  /** The account-level record, or null if absent or unreadable (logged; never fatal). */
  readAccountState(): Promise<AccountState | null>;
  /** Atomically write the account-level record. */
  writeAccountState(state: AccountState): Promise<void>;
  /** Throws if the storage directory cannot be written (for /health). */
  checkWritable(): Promise<void>;
  /**
   * Keep a certificate the CA issued but `install` could not write, outside `certs/` (mode 0600), so
   * a restart installs it instead of ordering it again. Rejects when that cannot be written either.
   */
  keepIssued?(spec: CertSpec, cert: IssuedCertificate): Promise<void>;
  /** The certificates kept by `keepIssued` (unreadable ones are skipped, logged). */
  readKept?(): Promise<ReadonlyArray<{ readonly spec: CertSpec; readonly cert: IssuedCertificate }>>;
  /** Forget a kept certificate (installed, or no longer wanted). Idempotent. */
  dropKept?(name: string): Promise<void>;
  /** The persisted unfinished order of `name` (`orders/<name>.json`), or null. Never rejects for a bad file. */
  readPendingOrder?(name: string): Promise<PendingOrder | null>;
  /** Persist (mode 0600, atomically) or with null forget the unfinished order of `name`. */
  writePendingOrder?(name: string, order: PendingOrder | null): Promise<void>;
}

/** What changed in one batch of work. */
export interface Change {
  readonly written: readonly string[];
  readonly removed: readonly string[];
}

/** Tells load balancers that certificates changed. Implementations: MarathonLbNotifier, HaproxyRuntimeNotifier, CommandNotifier. */
export interface Notifier {
  readonly name: string;
  /**
   * Deliver one batch. Resolves `{ ok }` (never rejects except on abort): ok when at least one target
   * accepted it. Failed targets are retried in the background with backoff until they answer or a newer
   * batch supersedes. Never rolls back a written certificate.
   */
  notify(change: Change, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }>;
  /** Stop background retries. */
  stop(): Promise<void>;
}
