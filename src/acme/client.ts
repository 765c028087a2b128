/**
 * The low-level ACME v2 client (RFC 8555): directory, nonces, signed requests, account, orders,
 * authorizations, challenges, finalize, download, ARI (RFC 9773), revocation, key rollover.
 *
 * Contract:
 * - every request has a timeout (`requestTimeoutMs`); order, authorization, challenge, finalize, download,
 *   revocation and ARI requests are also cancelled by the caller's AbortSignal. The directory fetch and
 *   the account lookup/registration are shared by concurrent callers, so no single caller's signal cancels
 *   them: they are bounded by the request timeout, and a caller whose signal fires stops waiting for them;
 * - `badNonce` is retried, each time with a fresh nonce (the one that came with the error, RFC 8555
 *   §6.5, else a new one), for as long as the request's time budget allows (`badNonceBudgetMs`, default
 *   the request timeout) — at once at first, then with a short growing pause (so a CA that rejects every
 *   nonce is not hammered), and never past the caller's signal. A count would give up on a CA that
 *   rejects most nonces (90 %: 15 tries fail one request in five); no other problem is retried (429/5xx surface as `AcmeError` with `retryAfter`), except that
 *   `accountDoesNotExist` on a `kid` request re-registers the account once (a restarted Pebble forgets
 *   its accounts) and repeats the request;
 * - failures are `AcmeError` (problem documents) or `AppError` with `ACME_*` codes;
 * - logs carry the operation, URL and status, never key material;
 * - userinfo in the directory URL (`https://user:pass@ca/dir`) is sent as Basic authorization to the
 *   directory's origin only, never to another one; `directoryUrl` (shown in /status, logs, state
 *   records) is the URL without it.
 *
 * Its parts: the account (key, lookup, registration, rollover) in account.ts, the reading and shape checks
 * of the CA's answers in shapes.ts, ARI URLs and answers in ari.ts, HTTP in transport.ts.
 */
import type { KeyObject } from 'node:crypto';
import type { RenewalInfo } from '../domain/types.js';
import { sleep, untilAborted } from '../lib/abort.js';
import { AppError, messageWithCauses } from '../lib/errors.js';
import { originOf, splitUrlString } from '../lib/urls.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { AcmeAccount, type AccountKeyStore } from './account.js';
import { createAccountKeyPem, parseCertKey } from './account-key.js';
import { parseRenewalInfo, renewalInfoUrl } from './ari.js';
import { parseDirectory, type Directory } from './directory.js';
import { ACME_CODES, type AcmeError, problemFromResponse } from './errors.js';
import { b64u, jwkThumbprint, publicJwk, signJws } from './jws.js';
import { badNoncePause, NoncePool } from './nonce-pool.js';
import {
  checkAuthorization,
  checkChallenge,
  checkOrder,
  fetched,
  location,
  parseJson,
  type AcmeAuthorization,
  type AcmeChallenge,
  type AcmeOrder,
  type Fetched,
} from './shapes.js';
import { Transport, type HttpResponse } from './transport.js';

export type { AccountKeyStore } from './account.js';
export type { AcmeAuthorization, AcmeChallenge, AcmeIdentifier, AcmeOrder, Fetched, OrderStatus } from './shapes.js';

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
  /** How long one request keeps being re-sent after `badNonce`, in ms (default: `requestTimeoutMs`). */
  badNonceBudgetMs?: number;
  /** How long a fetched directory is reused (default 1 h). */
  directoryTtlMs?: number;
  /**
   * Called synchronously right before every signed POST is sent (high availability: throws unless this
   * instance provably leads, so a deposed or paused leader sends nothing that changes the CA's state).
   */
  fence?: (operation: string) => void;
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
  private readonly badNonceBudgetMs: number;
  /** `Basic ...` from the directory URL's userinfo, sent to `directoryOrigin` only. */
  private readonly basicAuth: string | undefined;
  private readonly directoryOrigin: string | undefined;
  private readonly directoryTtlMs: number;
  private readonly fence: ((operation: string) => void) | undefined;
  private dir: { value: Directory; at: number } | undefined;
  private dirPending: Promise<Directory> | undefined;
  private readonly account: AcmeAccount;
  private lastOutcome: { reachable: boolean; error?: string } = { reachable: false };

  constructor(opts: AcmeClientOptions) {
    const dir = splitUrlString(opts.directoryUrl);
    this.directoryUrl = dir.url;
    this.basicAuth = dir.authorization;
    this.directoryOrigin = dir.origin;
    this.log = opts.logger.child({ component: 'acme' });
    this.transport = new Transport({
      logger: this.log,
      metrics: opts.metrics,
      requestTimeoutMs: opts.requestTimeoutMs,
      ca: opts.ca,
    });
    this.badNonceBudgetMs = opts.badNonceBudgetMs ?? opts.requestTimeoutMs ?? 30_000;
    this.directoryTtlMs = opts.directoryTtlMs ?? 3_600_000;
    this.fence = opts.fence;
    this.account = new AcmeAccount(
      { ...opts, directoryUrl: this.directoryUrl, logger: this.log },
      { directory: (signal) => this.directory(signal), post: (url, payload, o) => this.post(url, payload, o) },
    );
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

  /**
   * Whether the CA answers now: a GET of the directory that bypasses the cache (and refreshes it), with
   * the caller's signal. Resolves when it answered with a usable directory, rejects otherwise; the
   * outcome shows in `status()`.
   */
  async probe(signal: AbortSignal): Promise<void> {
    const res = await this.send({ method: 'GET', url: this.directoryUrl, operation: 'directory', signal });
    if (res.status !== 200) throw this.problem(res, this.directoryUrl);
    this.dir = { value: parseDirectory(parseJson(res, this.directoryUrl), this.directoryUrl), at: Date.now() };
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
      const res = await this.transport.request(this.withCredentials(req));
      if (poolNonce) this.nonces.add(res.header('replay-nonce'));
      this.lastOutcome =
        res.status >= 500
          ? { reachable: false, error: `HTTP ${res.status} from ${req.operation}` }
          : { reachable: true };
      return res;
    } catch (err) {
      if (req.signal?.aborted) throw err;
      if (err instanceof AppError && (err.code === ACME_CODES.network || err.code === ACME_CODES.timeout)) {
        // Keep the cause (the errno, the timeout): "ACME request failed" alone says nothing (issue 9).
        this.lastOutcome = { reachable: false, error: messageWithCauses(err) };
      }
      throw err;
    }
  }

  /** The directory URL's credentials, on requests to the directory's origin only. */
  private withCredentials(req: Parameters<Transport['request']>[0]): Parameters<Transport['request']>[0] {
    if (this.basicAuth === undefined || originOf(req.url) !== this.directoryOrigin) return req;
    return { ...req, headers: { ...req.headers, authorization: this.basicAuth } };
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
    const deadline = Date.now() + this.badNonceBudgetMs;
    for (let attempt = 0; ; attempt++) {
      const accountP = o.jwkKey ? undefined : this.account.current();
      const account = accountP ? await untilAborted(accountP, o.signal) : undefined;
      const key = o.jwkKey ?? account!.key;
      const nonce = fresh !== undefined && this.nonces.claim(fresh) ? fresh : await this.nonce(o.signal);
      fresh = undefined;
      const jws = signJws(key, payload, { url, nonce, kid: account?.url });
      this.fence?.(o.operation);
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
      if (err.type === 'badNonce' && Date.now() < deadline) {
        fresh = res.header('replay-nonce');
        this.log.debug({ operation: o.operation, url, attempt }, 'acme bad nonce, retrying with fresh nonce');
        const pause = badNoncePause(attempt);
        if (pause > 0) await sleep(pause, o.signal);
        continue;
      }
      if (err.type === 'accountDoesNotExist' && accountP && !reRegistered) {
        reRegistered = true;
        // Drop the cached account so the next attempt registers again (unless someone already replaced it).
        this.account.forget(accountP);
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
    return untilAborted(this.account.current(), signal);
  }

  /** The account URL (`kid`), registering if needed. */
  async accountUrl(signal: AbortSignal): Promise<string> {
    return (await this.ensureAccount(signal)).url;
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
    await this.account.keyChange(pem, signal);
    return pem;
  }

  // ---- orders (§7.4) ----

  /** newOrder for DNS identifiers; `profile`/`replaces` are sent only when given. Returns URL + order. */
  async newOrder(
    req: { names: readonly string[]; profile?: string; replaces?: string },
    signal: AbortSignal,
  ): Promise<{ url: string; order: AcmeOrder }> {
    const dir = await this.directory(signal);
    // JSON drops undefined members: `profile` and `replaces` are sent only when given.
    const payload = {
      identifiers: req.names.map((value) => ({ type: 'dns', value })),
      profile: req.profile || undefined,
      replaces: req.replaces || undefined,
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
    await this.post(dir.revokeCert, payload, { operation: 'revokeCert', signal, jwkKey: certKey });
  }

  // ---- ARI (RFC 9773 §4.2) ----

  /** Renewal info for a certID; null when the directory has no `renewalInfo`. Unauthenticated GET. */
  async renewalInfo(certId: string, signal: AbortSignal): Promise<RenewalInfo | null> {
    const dir = await this.directory(signal);
    if (!dir.renewalInfo) return null;
    const url = renewalInfoUrl(dir.renewalInfo, certId);
    const res = await this.send({ method: 'GET', url, operation: 'renewalInfo', signal });
    if (res.status !== 200) throw this.problem(res, url);
    return parseRenewalInfo(parseJson(res, url), res, url);
  }
}
