/**
 * The pure data model shared by every part of the daemon. No I/O here, no imports of the project but lib/
 * (the key types and the error-code catalogue's type).
 */
import type { ErrorCode } from '../lib/error-codes.js';
import type { KeyType } from '../lib/key-types.js';

export { KEY_TYPES, type KeyType } from '../lib/key-types.js';

/** Who asked for a certificate: shown in logs, status and metrics so an operator can see why it exists. */
export interface Requester {
  readonly source: 'marathon' | 'static' | 'api';
  /** Marathon app id, e.g. `/team/web` (source = marathon). */
  readonly appId?: string;
  /** Port index `n` of `MARATHON_ACME_{n}_DOMAIN` (source = marathon). */
  readonly portIndex?: number;
}

/** A certificate somebody wants. */
export interface CertSpec {
  /** The file stem: `certs/<name>.pem`. Always equal to `names[0]`. Safe as a file name (validated). */
  readonly name: string;
  /** Validated, normalised DNS names (lower-case A-labels, no trailing dot); no duplicates; length >= 1. */
  readonly names: readonly string[];
  /** Every app/port (or static entry) that asked for it; at least one. */
  readonly requestedBy: readonly Requester[];
  /**
   * The challenge asked for by a `MARATHON_ACME_{n}_CHALLENGE` label; absent: chosen per name
   * (`challengeTypeFor`: wildcards and names under `--dns-zones` use DNS-01, the rest HTTP-01).
   */
  readonly challenge?: ChallengeType;
}

/** The ACME challenge types the daemon answers (RFC 8555 §8.3, §8.4). */
export type ChallengeType = 'http-01' | 'dns-01';

/** A rejected label, name or app: skipped, reported (log + metric + status), everything else proceeds. */
export interface Problem {
  readonly source: 'marathon' | 'static' | 'api';
  readonly appId?: string;
  readonly portIndex?: number;
  readonly label?: string;
  /** The offending value, truncated to a printable excerpt (untrusted input). */
  readonly value?: string;
  /** A code of the catalogue, e.g. INVALID_NAME, WILDCARD_NOT_SUPPORTED, DOMAIN_NOT_ALLOWED, BAD_APP. */
  readonly code: ErrorCode;
  readonly reason: string;
}

/** One full reading of a source: what is wanted right now. Partial readings are never snapshots. */
export interface Snapshot {
  readonly specs: readonly CertSpec[];
  readonly problems: readonly Problem[];
}

/** What the CA issued: PEM text, each block ending in a newline. */
export interface IssuedCertificate {
  /** PKCS#8 (or SEC1/PKCS#1) private key of the certificate. */
  readonly keyPem: string;
  /** The leaf certificate alone. */
  readonly certPem: string;
  /** Intermediates, in order, possibly empty. */
  readonly chainPem: string;
  /** ACME directory URL of the CA that issued it, when known (kept certificates remember it). */
  readonly issuer?: string;
}

/** RFC 9773 suggested renewal window. */
export interface RenewalInfo {
  readonly start: Date;
  readonly end: Date;
  readonly explanationUrl?: string;
  /** When to ask again (from Retry-After), in ms from the time of the answer. */
  readonly retryAfterMs?: number;
}

/** A certificate as found in `certs/`, read back from its PEM bundle. */
export interface StoredCert {
  /** File stem (`certs/<name>.pem`). */
  readonly name: string;
  /** DNS names of the leaf's subjectAltName (lower case), CN first if present in SANs. */
  readonly names: readonly string[];
  readonly notBefore: Date;
  /** Expiry of the LEAF (not of the chain: 0.6.1 checked the chain too and reissued daily). */
  readonly notAfter: Date;
  /** Hex serial of the leaf, lower case. */
  readonly serial: string;
  /** Issuer distinguished name of the leaf. */
  readonly issuer: string;
  readonly keyType: KeyType | 'unknown';
  readonly selfSigned: boolean;
  /**
   * The RFC 9773 §4.1 ARI certificate id of the leaf, base64url(AKI keyIdentifier) "." base64url(serial
   * DER), computed when the bundle is read; absent when the leaf has no AKI keyIdentifier (no renewal
   * information can be asked for it). The leaf PEM itself is not kept (it is most of the memory of
   * thousands of certificates): revocation reads it from the bundle, `Store.readLeafPem`.
   */
  readonly certId?: string;
}

/**
 * Records about the ACME accounts, persisted as `account-state.json` beside the certificates' records.
 *
 * Shape written: `{ "cas": { "<ACME directory URL>": { "newOrders": ["<ISO time>", ...] } } }`, one entry
 * per CA, keyed by its directory URL. A version with several CAs adds entries, and fields inside an entry,
 * without a rewrite; a writer keeps the entries (and the fields) it does not know as it read them.
 * Shape of 1.0 (one CA): `{ "newOrders": [...] }`. Still read, as the records of the configured CA when
 * `cas` has no entry for it; never written again.
 */
export interface AccountState {
  /** 1.0 only: recent new orders of the one CA there was. */
  readonly newOrders?: readonly string[];
  /** By ACME directory URL. */
  readonly cas?: Readonly<Record<string, CaAccountState>>;
}

/** The records of one ACME CA's account. */
export interface CaAccountState {
  /** ISO times of recent new orders (the rate-limit budget), so a restart does not reset it. */
  readonly newOrders: readonly string[];
}

/** What the daemon knows of one ACME CA, keyed by its directory URL. */
export interface CaFacts {
  readonly directoryUrl: string;
  /** A production CA (known from the configuration): certificates of a test CA are replaced. */
  readonly production: boolean;
  /** Whether it offers renewal information (learnt from its answers): undefined = not known yet (ask). */
  readonly ariSupported: boolean | undefined;
}

/**
 * The daemon's record of one certificate's life. Persisted by the store as JSON, outside `certs/`.
 * Dates are ISO-8601 strings so the record round-trips through JSON unchanged.
 * Losing it never loses a certificate: the reconciler rebuilds it from the PEMs.
 */
export interface CertState {
  readonly name: string;
  readonly names: readonly string[];
  readonly requestedBy: readonly Requester[];
  readonly keyType?: KeyType;
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly serial?: string;
  /**
   * ACME directory URL of the CA that issued the current certificate. Absent in records of 1.0 and for
   * certificates adopted from disk (rebuilt by `stateFromCert`): then the CA is not known.
   */
  readonly issuer?: string;
  /** Last ARI answer, and when to ask again. */
  readonly ari?: {
    readonly start: string;
    readonly end: string;
    readonly explanationUrl?: string;
    readonly checkAfter: string;
  };
  /** The moment inside the renewal window chosen for this certificate (stable between restarts). */
  readonly renewAt?: string;
  readonly lastAttempt?: string;
  readonly lastSuccess?: string;
  readonly lastError?: {
    readonly code: string;
    readonly type?: string;
    readonly detail: string;
    readonly at: string;
    /** Where an operator lifts a CA pause of these names (Let's Encrypt's paused rateLimited). */
    readonly unpauseUrl?: string;
    /** The CA's subproblems (RFC 8555 §6.7.1): one per identifier that failed, with its own type and detail. */
    readonly subproblems?: readonly Subproblem[];
  };
  /** Consecutive failed attempts (0 after a success). */
  readonly failures: number;
  /** Not before this moment (backoff, CA Retry-After, validation budget). */
  readonly nextAttempt?: string;
  /** Times of failed validations in the last hour (Let's Encrypt pauses a name at 5 per hour). */
  readonly failedValidations?: readonly string[];
  /** When this certificate was first seen unwanted; removal at unwantedSince + remove-after. */
  readonly unwantedSince?: string;
  /** Last successful delivery to the load balancers failed (retry pending). */
  readonly deliveryPending?: boolean;
  /**
   * The CA paused orders for these names on this account: not retried until an operator unpauses them
   * (at `unpauseUrl`) and sends SIGHUP, or `nextAttempt` (a day later) passes.
   */
  readonly paused?: { readonly at: string; readonly unpauseUrl?: string };
}

/** One subproblem of a CA's error (RFC 8555 §6.7.1), as kept in a state record (bounded in size). */
export interface Subproblem {
  readonly type: string;
  readonly detail?: string;
  readonly identifier?: string;
}
