/**
 * The low-level ACME v2 client (RFC 8555): directory, nonces, signed requests, account, orders,
 * authorizations, challenges, finalize, download, ARI (RFC 9773), revocation, key rollover.
 *
 * Contract:
 * - every request has a timeout (`requestTimeoutMs`); order, authorization, challenge, finalize, download,
 *   revocation and ARI requests are also cancelled by the caller's AbortSignal. The directory fetch and
 *   the account lookup/registration are shared by concurrent callers, so no single caller's signal cancels
 *   them: they are bounded by the request timeout, and a caller whose signal fires stops waiting for them;
 * - `badNonce` is retried with the nonce from the error response itself, at most `badNonceRetries` times;
 *   no other problem is retried (429/5xx surface as `AcmeError` with `retryAfter`), except that
 *   `accountDoesNotExist` on a `kid` request re-registers the account once (a restarted Pebble forgets
 *   its accounts) and repeats the request;
 * - failures are `AcmeError` (problem documents) or `AppError` with `ACME_*` codes;
 * - logs carry the operation, URL and status, never key material.
 */
import type { KeyObject } from 'node:crypto';
import { untilAborted } from '../lib/abort.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { RenewalInfo } from '../domain/types.js';
import { createAccountKeyPem, parseAccountKey } from './account-key.js';
import { parseDirectory, type Directory } from './directory.js';
import { ACME_CODES, AcmeError, parseRetryAfterHeader, problemFromResponse } from './errors.js';
import { b64u, eabJws, jwkThumbprint, publicJwk, signJws } from './jws.js';
import { NoncePool } from './nonce-pool.js';
import { Transport, type HttpResponse } from './transport.js';

/** Where the account key lives (the store's `client.key`). `write` must be atomic and mode 0600. */
export interface AccountKeyStore {
  read(): Promise<string | null>;
  write(pem: string): Promise<void>;
}

export interface AcmeClientOptions {
  directoryUrl: string;
  accountKey: AccountKeyStore;
  /** Contact for the account (`mailto:` is added). */
  email?: string;
  /** External Account Binding credentials: `hmacKey` is base64url as the CA hands it out. */
  eab?: { kid: string; hmacKey: string };
  logger: Logger;
  metrics?: Metrics;
  /** Timeout of each HTTP request (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** Extra PEM CA to trust for the CA's TLS certificate (else system roots + NODE_EXTRA_CA_CERTS). */
  ca?: string;
  /** How many times one request is re-sent after `badNonce` (default 15: cheap, and enough for Pebble's 50% injection). */
  badNonceRetries?: number;
  /** How long a fetched directory is reused (default 1 h). */
  directoryTtlMs?: number;
}

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export interface AcmeIdentifier {
  type: string;
  value: string;
}
export interface AcmeOrder {
  status: OrderStatus;
  identifiers: AcmeIdentifier[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  expires?: string;
  profile?: string;
  error?: unknown;
}
export interface AcmeChallenge {
  type: string;
  url: string;
  status: string;
  token?: string;
  error?: unknown;
  validated?: string;
}
export interface AcmeAuthorization {
  status: 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
  identifier: AcmeIdentifier;
  challenges: AcmeChallenge[];
  wildcard?: boolean;
  expires?: string;
}
/** A polled object with the CA's Retry-After. */
export interface Fetched<T> {
  value: T;
  retryAfter?: Date;
}

interface Account {
  url: string;
  key: KeyObject;
}
interface PostOptions {
  operation: string;
  signal: AbortSignal;
  /** Sign with `jwk` and this key instead of the account's `kid` (newAccount, revocation by cert key). */
  jwkKey?: KeyObject;
  accept?: string;
}

export class AcmeClient {
  readonly directoryUrl: string;
  private readonly transport: Transport;
  private readonly nonces = new NoncePool();
  private readonly log: Logger;
  private readonly badNonceRetries: number;
  private readonly directoryTtlMs: number;
  private dir: { value: Directory; at: number } | undefined;
  private dirPending: Promise<Directory> | undefined;
  /** The account, once looked up or registered; dropped when the CA says it does not exist. */
  private account: Promise<Account> | undefined;
  private lastOutcome: { reachable: boolean; error?: string } = { reachable: false };

  constructor(private readonly opts: AcmeClientOptions) {
    this.directoryUrl = opts.directoryUrl;
    this.log = opts.logger.child({ component: 'acme' });
    this.transport = new Transport({
      logger: this.log,
      metrics: opts.metrics,
      requestTimeoutMs: opts.requestTimeoutMs,
      ca: opts.ca,
    });
    this.badNonceRetries = opts.badNonceRetries ?? 15;
    this.directoryTtlMs = opts.directoryTtlMs ?? 3_600_000;
  }

  /** Reachability from the last exchange with the CA (for /health). */
  status(): { reachable: boolean; lastError?: string; directoryUrl: string } {
    const { reachable, error } = this.lastOutcome;
    return {
      reachable: reachable && this.dir !== undefined,
      ...(error ? { lastError: error } : {}),
      directoryUrl: this.directoryUrl,
    };
  }

  /** Release keep-alive connections. The client stays usable (new connections are opened on demand). */
  close(): void {
    this.transport.close();
  }

  // ---- directory and nonces (RFC 8555 §7.1.1, §7.2) ----

  /** The directory, fetched once and reused for `directoryTtlMs`; concurrent callers share one fetch. */
  async directory(signal: AbortSignal): Promise<Directory> {
    if (this.dir && Date.now() - this.dir.at < this.directoryTtlMs) return this.dir.value;
    // Shared by concurrent callers, so it does not take any one caller's signal (one caller cancelling
    // must not fail the others); the request timeout bounds it, and each caller can still stop waiting.
    this.dirPending ??= this.fetchDirectory().finally(() => {
      this.dirPending = undefined;
    });
    return untilAborted(this.dirPending, signal);
  }

  private async fetchDirectory(): Promise<Directory> {
    const res = await this.send({ method: 'GET', url: this.directoryUrl, operation: 'directory' });
    if (res.status !== 200) throw this.problem(res, this.directoryUrl);
    const value = parseDirectory(parseJson(res, this.directoryUrl), this.directoryUrl);
    this.dir = { value, at: Date.now() };
    return value;
  }

  private async nonce(signal: AbortSignal): Promise<string> {
    const pooled = this.nonces.take();
    if (pooled) return pooled;
    const dir = await this.directory(signal);
    // Not pooled: this nonce is used right away, and a pooled copy would be sent a second time.
    const res = await this.send({ method: 'HEAD', url: dir.newNonce, operation: 'newNonce', signal }, false);
    const nonce = res.header('replay-nonce');
    if (res.status >= 400 || !nonce)
      throw res.status >= 400
        ? this.problem(res, dir.newNonce)
        : new AppError(ACME_CODES.badResponse, 'newNonce answered without Replay-Nonce', {
            details: { url: dir.newNonce },
          });
    return nonce;
  }

  // ---- transport wrappers ----

  /**
   * One HTTP exchange; every Replay-Nonce goes to the pool unless `poolNonce` is false. Records the
   * outcome for `status()` — except when the request was cancelled by its signal (our own abort says
   * nothing about the CA, whatever the abort's reason).
   */
  private async send(req: Parameters<Transport['request']>[0], poolNonce = true): Promise<HttpResponse> {
    try {
      const res = await this.transport.request(req);
      if (poolNonce) this.nonces.add(res.header('replay-nonce'));
      this.lastOutcome =
        res.status >= 500
          ? { reachable: false, error: `HTTP ${res.status} from ${req.operation}` }
          : { reachable: true };
      return res;
    } catch (err) {
      if (req.signal?.aborted) throw err;
      if (err instanceof AppError && (err.code === ACME_CODES.network || err.code === ACME_CODES.timeout)) {
        this.lastOutcome = { reachable: false, error: err.message };
      }
      throw err;
    }
  }

  private problem(res: HttpResponse, url: string): AcmeError {
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      body = undefined;
    }
    return problemFromResponse(body, { status: res.status, url, retryAfterHeader: res.header('retry-after') ?? null });
  }

  /**
   * A JWS-signed POST (RFC 8555 §6.2) of `payload` (a JSON value; `''` makes a POST-as-GET, §6.3).
   * Handles badNonce and lost accounts as the contract says.
   */
  private async post(url: string, payload: unknown, o: PostOptions): Promise<HttpResponse> {
    let reRegistered = false;
    let fresh: string | undefined; // the nonce of the last badNonce answer (RFC 8555 §6.5)
    for (let attempt = 0; ; attempt++) {
      const accountP = o.jwkKey ? undefined : this.accountPromise();
      const account = accountP ? await untilAborted(accountP, o.signal) : undefined;
      const key = o.jwkKey ?? account!.key;
      const nonce = fresh !== undefined && this.nonces.claim(fresh) ? fresh : await this.nonce(o.signal);
      fresh = undefined;
      const jws = signJws(key, payload, { url, nonce, ...(account ? { kid: account.url } : {}) });
      const res = await this.send({
        method: 'POST',
        url,
        operation: o.operation,
        signal: o.signal,
        body: JSON.stringify(jws),
        headers: { 'content-type': 'application/jose+json', ...(o.accept ? { accept: o.accept } : {}) },
      });
      if (res.status < 400) return res;
      const err = this.problem(res, url);
      if (err.type === 'badNonce' && attempt < this.badNonceRetries) {
        fresh = res.header('replay-nonce');
        this.log.debug({ operation: o.operation, url, attempt }, 'acme bad nonce, retrying with fresh nonce');
        continue;
      }
      if (err.type === 'accountDoesNotExist' && accountP && !reRegistered) {
        reRegistered = true;
        // Drop the cached account so the next attempt registers again (unless someone already replaced it).
        if (this.account === accountP) this.account = undefined;
        this.log.warn({ operation: o.operation, url }, 'acme account unknown to the CA, registering again');
        continue;
      }
      throw err;
    }
  }

  /** POST-as-GET returning the checked object and Retry-After. */
  private async postAsGet<T>(
    url: string,
    operation: string,
    signal: AbortSignal,
    check: (body: unknown, url: string) => T,
  ): Promise<Fetched<T>> {
    const res = await this.post(url, '', { operation, signal });
    return fetched(res, url, check);
  }

  // ---- account (RFC 8555 §7.3) ----

  /** The account, registered (or found) once per client; concurrent callers share it. */
  async ensureAccount(signal: AbortSignal): Promise<{ url: string; key: KeyObject }> {
    return untilAborted(this.accountPromise(), signal);
  }

  /** The shared account lookup. Like the directory, bounded by request timeouts, not by a caller's signal. */
  private accountPromise(): Promise<Account> {
    if (this.account) return this.account;
    const p = this.loadOrRegister(new AbortController().signal);
    this.account = p;
    p.catch(() => {
      if (this.account === p) this.account = undefined;
    }); // a failed lookup is retried next time
    return p;
  }

  /** The account URL (`kid`), registering if needed. */
  async accountUrl(signal: AbortSignal): Promise<string> {
    return (await this.ensureAccount(signal)).url;
  }

  private async loadOrRegister(signal: AbortSignal): Promise<Account> {
    const key = await this.loadKey();
    const dir = await this.directory(signal);
    const existing = await this.findAccount(dir, key, signal);
    if (existing) return { url: existing, key };
    return { url: await this.register(dir, key, signal), key };
  }

  private async loadKey(): Promise<KeyObject> {
    const pem = await this.opts.accountKey.read();
    if (pem !== null) return parseAccountKey(pem);
    const fresh = await createAccountKeyPem();
    await this.opts.accountKey.write(fresh);
    this.log.info({ key_type: 'ec256' }, 'acme account key created');
    return parseAccountKey(fresh);
  }

  /** newAccount with onlyReturnExisting (§7.3.1): the URL, or undefined when the CA does not know the key. */
  private async findAccount(dir: Directory, key: KeyObject, signal: AbortSignal): Promise<string | undefined> {
    try {
      const res = await this.post(
        dir.newAccount,
        { onlyReturnExisting: true },
        { operation: 'findAccount', signal, jwkKey: key },
      );
      return location(res, dir.newAccount, 'newAccount');
    } catch (err) {
      if (err instanceof AcmeError && err.type === 'accountDoesNotExist') return undefined;
      throw err;
    }
  }

  private async register(dir: Directory, key: KeyObject, signal: AbortSignal): Promise<string> {
    if (dir.meta.externalAccountRequired && !this.opts.eab) {
      throw new AppError(ACME_CODES.eabRequired, 'the CA requires External Account Binding and none is configured', {
        details: { url: this.directoryUrl },
      });
    }
    const payload = {
      termsOfServiceAgreed: true,
      ...(this.opts.email ? { contact: [`mailto:${this.opts.email}`] } : {}),
      // The EAB JWS carries no nonce (§7.3.4), so a badNonce retry can send it again.
      ...(this.opts.eab ? { externalAccountBinding: eabJws(key, this.opts.eab, dir.newAccount) } : {}),
    };
    const res = await this.post(dir.newAccount, payload, { operation: 'newAccount', signal, jwkKey: key });
    const url = location(res, dir.newAccount, 'newAccount');
    this.log.info({ operation: 'newAccount', url, status: res.status }, 'acme account registered');
    return url;
  }

  /** RFC 8555 §8.1: token "." base64url(JWK thumbprint of the account key). */
  async keyAuthorization(token: string, signal: AbortSignal): Promise<string> {
    const { key } = await this.ensureAccount(signal);
    return `${token}.${jwkThumbprint(publicJwk(key))}`;
  }

  /**
   * Account key rollover (§7.3.5), for tools and tests (the daemon never rolls keys over). The new key
   * (given PEM, or a fresh P-256) is used in this order, since the AccountKeyStore can only read and write:
   * 1. keyChange at the CA, after which this client signs with the new key;
   * 2. store the new key. If that fails, the CA is rolled back to the old key (reverse keyChange) and
   *    ACME_ACCOUNT_KEY is thrown: nothing changed. If the rollback fails too, the CA keeps the new key,
   *    the stored key is stale (a restart would find no account and silently register a new one), and
   *    the thrown ACME_ACCOUNT_KEY error says so: the new key is on that error as `newKeyPem` (not
   *    enumerable, so loggers do not print it) and must be saved as the account key by the operator.
   * Do not run it while orders are in flight: their requests may be signed with the old key.
   * Returns the new key's PEM.
   */
  async keyChange(signal: AbortSignal, newKeyPem?: string): Promise<string> {
    const pem = newKeyPem ?? (await createAccountKeyPem());
    const newKey = parseAccountKey(pem);
    const old = await this.ensureAccount(signal);
    await this.rollTo(old, newKey, signal);
    try {
      await this.opts.accountKey.write(pem);
    } catch (writeErr) {
      try {
        // A recovery step: not cancelled by the caller's signal, bounded by the request timeout.
        await this.rollTo({ url: old.url, key: newKey }, old.key, new AbortController().signal);
      } catch (rollbackErr) {
        this.log.error(
          { operation: 'keyChange', url: old.url, err: rollbackErr },
          'acme account key rolled over at the CA but not stored, and rollback failed',
        );
        const err = new AppError(
          ACME_CODES.accountKey,
          'account key rollover: the CA now only accepts the new key, storing it failed and rolling back failed; ' +
            'save the new key (error.newKeyPem) as the account key before restarting, or a new account will be registered',
          { cause: writeErr, details: { url: old.url } },
        );
        Object.defineProperty(err, 'newKeyPem', { value: pem, enumerable: false });
        throw err;
      }
      throw new AppError(
        ACME_CODES.accountKey,
        'new account key could not be stored; the CA was rolled back to the old key',
        { cause: writeErr, details: { url: old.url } },
      );
    }
    this.log.info({ operation: 'keyChange', url: old.url }, 'acme account key rolled over');
    return pem;
  }

  /** keyChange (§7.3.5) from `from` to `to`, signed by `from`; afterwards this client signs with `to`. */
  private async rollTo(from: Account, to: KeyObject, signal: AbortSignal): Promise<void> {
    const dir = await this.directory(signal);
    const inner = signJws(to, { account: from.url, oldKey: publicJwk(from.key) }, { url: dir.keyChange });
    this.account = Promise.resolve(from);
    await this.post(dir.keyChange, inner, { operation: 'keyChange', signal });
    this.account = Promise.resolve({ url: from.url, key: to });
  }

  // ---- orders (§7.4) ----

  /** newOrder for DNS identifiers; `profile`/`replaces` are sent only when given. Returns URL + order. */
  async newOrder(
    req: { names: readonly string[]; profile?: string; replaces?: string },
    signal: AbortSignal,
  ): Promise<{ url: string; order: AcmeOrder }> {
    const dir = await this.directory(signal);
    const payload = {
      identifiers: req.names.map((value) => ({ type: 'dns', value })),
      ...(req.profile ? { profile: req.profile } : {}),
      ...(req.replaces ? { replaces: req.replaces } : {}),
    };
    const res = await this.post(dir.newOrder, payload, { operation: 'newOrder', signal });
    const url = location(res, dir.newOrder, 'newOrder');
    return { url, order: checkOrder(parseJson(res, dir.newOrder), dir.newOrder) };
  }

  getOrder(url: string, signal: AbortSignal): Promise<Fetched<AcmeOrder>> {
    return this.postAsGet(url, 'getOrder', signal, checkOrder);
  }

  getAuthorization(url: string, signal: AbortSignal): Promise<Fetched<AcmeAuthorization>> {
    return this.postAsGet(url, 'getAuthorization', signal, checkAuthorization);
  }

  /** Tell the CA the challenge is ready (§7.5.1: POST `{}`). */
  async respondChallenge(url: string, signal: AbortSignal): Promise<AcmeChallenge> {
    const res = await this.post(url, {}, { operation: 'respondChallenge', signal });
    return checkChallenge(parseJson(res, url), url);
  }

  /** Send the CSR (§7.4). Returns the order as the CA answered (usually `processing` or `valid`). */
  async finalize(url: string, csrDer: Buffer, signal: AbortSignal): Promise<Fetched<AcmeOrder>> {
    const res = await this.post(url, { csr: b64u(csrDer) }, { operation: 'finalize', signal });
    return fetched(res, url, checkOrder);
  }

  /** Download a chain (§7.4.2) as PEM text, with the URLs of alternate chains (`Link: rel="alternate"`). */
  async downloadCertificate(url: string, signal: AbortSignal): Promise<{ pem: string; alternates: string[] }> {
    const res = await this.post(url, '', {
      operation: 'downloadCertificate',
      signal,
      accept: 'application/pem-certificate-chain',
    });
    return { pem: res.body.toString('utf8'), alternates: res.links('alternate') };
  }

  // ---- revocation (§7.6) ----

  /**
   * Revoke a certificate (DER). Signed by the account (`kid`) unless `certKeyPem` is given, in which case
   * the certificate's own key signs with `jwk` (§7.6, second method).
   */
  async revoke(certDer: Buffer, reason: number, signal: AbortSignal, certKeyPem?: string): Promise<void> {
    const certKey = certKeyPem === undefined ? undefined : parseCertKey(certKeyPem);
    const dir = await this.directory(signal);
    const payload = { certificate: b64u(certDer), reason };
    await this.post(dir.revokeCert, payload, {
      operation: 'revokeCert',
      signal,
      ...(certKey ? { jwkKey: certKey } : {}),
    });
  }

  // ---- ARI (RFC 9773 §4.2) ----

  /** Renewal info for a certID; null when the directory has no `renewalInfo`. Unauthenticated GET. */
  async renewalInfo(certId: string, signal: AbortSignal): Promise<RenewalInfo | null> {
    const dir = await this.directory(signal);
    if (!dir.renewalInfo) return null;
    const url = `${dir.renewalInfo.replace(/\/+$/, '')}/${certId}`;
    const res = await this.send({ method: 'GET', url, operation: 'renewalInfo', signal });
    if (res.status !== 200) throw this.problem(res, url);
    return parseRenewalInfo(parseJson(res, url), res, url);
  }
}

/** The certificate's private key, to sign a revocation (§7.6); AppError ACME_BAD_CERTIFICATE if unusable. */
function parseCertKey(pem: string): KeyObject {
  try {
    return parseAccountKey(pem); // same formats and JWS algorithms as an account key
  } catch (err) {
    throw new AppError(
      ACME_CODES.badCertificate,
      'the certificate key cannot sign a revocation (unreadable or unsupported key)',
      { cause: err },
    );
  }
}

/** The Location header as an absolute URL (RFC 8555 §7.3, §7.4); AppError ACME_BAD_RESPONSE otherwise. */
function location(res: HttpResponse, url: string, operation: string): string {
  const loc = res.header('location');
  if (!loc || !isAbsoluteUrl(loc)) {
    throw new AppError(ACME_CODES.badResponse, `${operation} answered without an absolute Location`, {
      details: { url, status: res.status, location: loc ?? null },
    });
  }
  return loc;
}

function isAbsoluteUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function parseJson(res: HttpResponse, url: string): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    throw new AppError(ACME_CODES.badResponse, 'ACME response is not JSON', {
      cause: err,
      details: { url, status: res.status },
    });
  }
}

function fetched<T>(res: HttpResponse, url: string, check: (body: unknown, url: string) => T): Fetched<T> {
  const retryAfter = parseRetryAfterHeader(res.header('retry-after'));
  return { value: check(parseJson(res, url), url), ...(retryAfter ? { retryAfter } : {}) };
}

// ---- shape checks of CA objects: only what the client relies on; other members pass through ----

function badShape(what: string, field: string, url: string): AppError {
  return new AppError(ACME_CODES.badResponse, `ACME ${what} is malformed (${field})`, { details: { url, field } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** An order object (§7.1.3): status, authorizations (URLs), finalize (URL); certificate a URL if present. */
export function checkOrder(body: unknown, url: string): AcmeOrder {
  if (!isObject(body)) throw badShape('order', 'not an object', url);
  if (typeof body['status'] !== 'string') throw badShape('order', 'status', url);
  if (!isStringArray(body['authorizations'])) throw badShape('order', 'authorizations', url);
  if (typeof body['finalize'] !== 'string') throw badShape('order', 'finalize', url);
  if (body['certificate'] !== undefined && typeof body['certificate'] !== 'string')
    throw badShape('order', 'certificate', url);
  return body as unknown as AcmeOrder;
}

/** An authorization object (§7.1.4): status, identifier.value, challenges with type/url/status. */
export function checkAuthorization(body: unknown, url: string): AcmeAuthorization {
  if (!isObject(body)) throw badShape('authorization', 'not an object', url);
  if (typeof body['status'] !== 'string') throw badShape('authorization', 'status', url);
  const id = body['identifier'];
  if (!isObject(id) || typeof id['value'] !== 'string') throw badShape('authorization', 'identifier', url);
  const challenges = body['challenges'];
  if (!Array.isArray(challenges)) throw badShape('authorization', 'challenges', url);
  for (const c of challenges as unknown[]) checkChallenge(c, url, 'authorization');
  return body as unknown as AcmeAuthorization;
}

/** A challenge object (§7.1.5): type, url, status strings; token a string if present. */
export function checkChallenge(body: unknown, url: string, what = 'challenge'): AcmeChallenge {
  if (!isObject(body)) throw badShape(what, 'challenge not an object', url);
  for (const k of ['type', 'url', 'status'] as const) {
    if (typeof body[k] !== 'string') throw badShape(what, `challenge ${k}`, url);
  }
  if (body['token'] !== undefined && typeof body['token'] !== 'string') throw badShape(what, 'challenge token', url);
  return body as unknown as AcmeChallenge;
}

/** RFC 9773 §4.2 response: `suggestedWindow` {start,end} (end must be after start), optional `explanationURL`. */
export function parseRenewalInfo(
  body: unknown,
  res: Pick<HttpResponse, 'header'>,
  url: string,
  now = Date.now(),
): RenewalInfo {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const w = (
    typeof b['suggestedWindow'] === 'object' && b['suggestedWindow'] !== null ? b['suggestedWindow'] : {}
  ) as Record<string, unknown>;
  const start = new Date(String(w['start']));
  const end = new Date(String(w['end']));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end.getTime() <= start.getTime()) {
    throw new AppError(ACME_CODES.badResponse, 'renewalInfo has no valid suggestedWindow', { details: { url } });
  }
  const retryAfter = parseRetryAfterHeader(res.header('retry-after'), new Date(now));
  return {
    start,
    end,
    ...(typeof b['explanationURL'] === 'string' ? { explanationUrl: b['explanationURL'] } : {}),
    ...(retryAfter ? { retryAfterMs: Math.max(0, retryAfter.getTime() - now) } : {}),
  };
}
