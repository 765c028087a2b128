/**
 * `AcmeIssuer`: the daemon's `Issuer` over `AcmeClient` — one whole order from newOrder to a downloaded,
 * split certificate chain, with the challenges answered through the configured `Solver`s.
 *
 * Outcomes (issued, failed, revoked) are logged by the caller (the reconciler); this module logs them at
 * debug only, so one event is one line at info/warn.
 */
import type { Challenge, IssueRequest, Issuer, OrderProgress, Solver } from '../domain/contracts.js';
import type { ChallengeType, IssuedCertificate, RenewalInfo } from '../domain/types.js';
import { abortReason, withTimeout } from '../lib/abort.js';
import { AppError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { AcmeClient, type AcmeAuthorization, type AcmeClientOptions, type AcmeOrder } from './client.js';
import { createKeyAndCsr } from '../pki/csr.js';
import type { DirectoryMeta } from './directory.js';
import { ACME_CODES, AcmeError, problemFields } from './errors.js';
import { issuerCns, parseCertificate, splitChain } from './chain.js';
import { pollUntil, type PollOptions } from './poll.js';
import { resumeOrder, type StartedOrder } from './resume.js';

export interface AcmeIssuerOptions extends AcmeClientOptions {
  /** Challenge solvers, in order of preference (the first whose type the CA offers is used). */
  solvers: Solver[];
  /**
   * Which challenge type an identifier must use (`*.` prefixed for a wildcard authorization), given
   * the request's own choice. Absent: the first solver whose type the CA offers.
   */
  challengeFor?: (identifier: string, asked: ChallengeType | undefined) => ChallengeType;
  /** Budget for one whole order, from newOrder to download (default 180 000 ms). */
  orderTimeoutMs?: number;
  /**
   * First poll delay when the CA sends no Retry-After (default 10 ms), growing ×1.5 ... A CA that sends
   * Retry-After (Let's Encrypt does) sets the pace instead; Pebble 2.4 sends none and validates in ~15 ms.
   */
  pollInitialMs?: number;
  /** ... up to this ceiling (default 1000 ms). */
  pollMaxMs?: number;
}

/** Implements `Issuer` (see its contract in src/domain/contracts.ts). Call `close()` at shutdown. */
export class AcmeIssuer implements Issuer {
  /** The CA's directory URL: which CA this issuer orders from. */
  readonly directoryUrl: string;
  /** The low-level client (tests, tools). */
  readonly client: AcmeClient;
  private readonly log: Logger;
  private readonly orderTimeoutMs: number;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;

  constructor(private readonly opts: AcmeIssuerOptions) {
    this.client = new AcmeClient(opts);
    // Without userinfo: it names the CA in /status, the logs and the state records.
    this.directoryUrl = this.client.directoryUrl;
    this.log = opts.logger.child({ component: 'acme-issuer' });
    this.orderTimeoutMs = opts.orderTimeoutMs ?? 180_000;
    this.pollInitialMs = opts.pollInitialMs ?? 10;
    this.pollMaxMs = opts.pollMaxMs ?? 1000;
  }

  /** Fetch the directory and register or find the account (optional: everything is lazy otherwise). */
  async init(signal: AbortSignal): Promise<void> {
    await this.client.ensureAccount(signal);
  }

  /** What the CA's directory says (terms, profiles, ARI support, EAB requirement). */
  async directoryMeta(signal: AbortSignal): Promise<DirectoryMeta> {
    return (await this.client.directory(signal)).meta;
  }

  /** The account URL (registers if needed). */
  accountUrl(signal: AbortSignal): Promise<string> {
    return this.client.accountUrl(signal);
  }

  status(): { readonly reachable: boolean; readonly lastError?: string; readonly directoryUrl: string } {
    return this.client.status();
  }

  /** The CA answers: a fresh GET of its directory (see `Issuer.probe`). */
  probe(signal: AbortSignal): Promise<void> {
    return this.client.probe(signal);
  }

  renewalInfo(certId: string, signal: AbortSignal): Promise<RenewalInfo | null> {
    return this.client.renewalInfo(certId, signal);
  }

  async revoke(certPem: string, reason: number, signal: AbortSignal): Promise<void> {
    const der = parseCertificate(certPem).raw;
    await this.client.revoke(der, reason, signal);
    this.log.debug({ operation: 'revokeCert', reason }, 'acme certificate revoked');
  }

  close(): void {
    this.client.close();
  }

  async issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedCertificate> {
    const names = [...request.names];
    if (names.length === 0) throw new AppError(ACME_CODES.badRequest, 'an order needs at least one name');
    // One budget for the whole order: every request, poll and solver call gets this signal.
    const order = withTimeout(
      signal,
      this.orderTimeoutMs,
      () =>
        new AppError(ACME_CODES.timeout, 'ACME order timed out', {
          details: { names, timeout_ms: this.orderTimeoutMs },
        }),
    );
    const started = Date.now();
    try {
      const cert = await this.runOrder(request, names, order.signal);
      this.log.debug(
        { domain: names[0], names: names.length, duration_ms: Date.now() - started },
        'acme certificate issued',
      );
      return cert;
    } catch (err) {
      // A caller's abort surfaces as the caller's AbortError, the order budget as its ACME_TIMEOUT AppError
      // (whatever a cancelled step rejected with).
      if (signal.aborted) throw isAbortError(err) ? err : abortReason(signal);
      const failure = order.signal.aborted ? abortReason(order.signal) : err;
      this.log.debug({ domain: names[0], err: failure }, 'acme order failed');
      throw failure;
    } finally {
      order.clear();
    }
  }

  /**
   * The recipe: newOrder (or a pending order resumed by URL) → authorizations → finalize → download →
   * pick chain → split.
   */
  private async runOrder(request: IssueRequest, names: string[], signal: AbortSignal): Promise<IssuedCertificate> {
    const { url, order, keyAndCsr } = await this.startOrder(request, names, signal);
    await this.authorizeAll(order.authorizations, request.challenge, signal, request.progress);
    const poll = this.pollOptions(signal);
    // All authorizations are valid now, so the order is normally `ready` at once (RFC 8555 §7.1.6): look
    // right away instead of after a poll delay.
    const now = await this.client.getOrder(url, signal);
    const ready = await pollUntil(
      () => this.client.getOrder(url, signal),
      (o) => o.status !== 'pending',
      now,
      poll,
    );
    if (ready.status !== 'ready' && ready.status !== 'valid' && ready.status !== 'processing')
      throw orderError(ready, url);
    let final = ready;
    if (ready.status !== 'valid') {
      // `processing`: a resumed order that was finalized before its leader stopped.
      const finalized =
        ready.status === 'ready'
          ? await this.client.finalize(ready.finalize, (await keyAndCsr).csrDer, signal)
          : await this.client.getOrder(url, signal);
      if (ready.status === 'ready') request.progress?.finalized?.();
      final = await pollUntil(
        () => this.client.getOrder(url, signal),
        (o) => o.status === 'valid' || o.status === 'invalid',
        finalized,
        poll,
      );
    }
    if (final.status !== 'valid' || !final.certificate) throw orderError(final, url);
    const pem = await this.chooseChain(final.certificate, request.preferredChain, signal);
    return { keyPem: (await keyAndCsr).keyPem, ...splitChain(pem) };
  }

  /** A pending order resumed by its URL when the CA still has it, else a new order (persisted via `progress.pending`). */
  private async startOrder(request: IssueRequest, names: string[], signal: AbortSignal): Promise<StartedOrder> {
    const { directoryUrl } = this.opts;
    const resumed = request.resume && (await resumeOrder(this.client, this.log, request.resume, names, signal));
    if (resumed) {
      request.progress?.created(resumed.url);
      return resumed;
    }
    // The key and CSR do not depend on the CA: make them while the order is placed (RSA 4096 takes time).
    const keyAndCsr = createKeyAndCsr(names, request.keyType);
    keyAndCsr.catch(() => undefined);
    const profile = await this.usableProfile(request.profile, signal);
    await request.progress?.sending();
    const { url, order } = await this.newOrder(names, profile, request.replaces, signal);
    request.progress?.created(url);
    if (request.progress?.pending)
      await request.progress.pending({ orderUrl: url, keyPem: (await keyAndCsr).keyPem, names, directoryUrl });
    return { url, order, keyAndCsr };
  }

  /**
   * newOrder, with `replaces` when renewing by ARI. When the CA says the certificate was already
   * replaced (RFC 9773 §5: 409 `alreadyReplaced`; Boulder used to answer 409 `malformed` "...already
   * has a replacement order"), the order is placed again at once WITHOUT `replaces` — sending the
   * same `replaces` again would fail the same way until the certificate expired (certmagic #361).
   */
  private async newOrder(
    names: string[],
    profile: string | undefined,
    replaces: string | undefined,
    signal: AbortSignal,
  ): Promise<{ url: string; order: AcmeOrder }> {
    try {
      return await this.client.newOrder({ names, profile, replaces }, signal);
    } catch (err) {
      if (replaces === undefined || !isAlreadyReplaced(err)) throw err;
      this.log.info({ domain: names[0], replaces }, 'acme certificate already replaced, ordering without replaces');
      return this.client.newOrder({ names, profile }, signal);
    }
  }

  /** `profile` only if the directory lists it (draft-ietf-acme-profiles §4); otherwise warn and omit. */
  private async usableProfile(profile: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    if (!profile) return undefined;
    const meta = await this.directoryMeta(signal);
    if (Object.hasOwn(meta.profiles, profile)) return profile;
    this.log.warn(
      { profile, offered: Object.keys(meta.profiles) },
      'acme profile not offered by the CA, ordering without it',
    );
    return undefined;
  }

  private pollOptions(signal: AbortSignal): PollOptions {
    return { initialMs: this.pollInitialMs, maxMs: this.pollMaxMs, signal };
  }

  /**
   * All authorizations concurrently. The first failure cancels the others; every solver's cleanUp still
   * runs before this rejects (with the first real failure, not a sibling's AbortError).
   */
  private async authorizeAll(
    urls: string[],
    asked: ChallengeType | undefined,
    signal: AbortSignal,
    progress?: OrderProgress,
  ): Promise<void> {
    const siblings = new AbortController();
    const all = AbortSignal.any([signal, siblings.signal]);
    const results = await Promise.allSettled(
      urls.map((u) =>
        this.authorize(u, asked, all, progress).catch((err: unknown) => {
          if (!all.aborted) siblings.abort(err);
          throw err;
        }),
      ),
    );
    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as unknown);
    // `all.reason` is whichever came first: the order's own abort, or the first authorization failure.
    if (failures.length > 0) throw all.aborted ? all.reason : failures[0];
  }

  /** One authorization (RFC 8555 §7.5): skip if valid; else present → respond → poll; cleanUp in finally. */
  private async authorize(
    url: string,
    asked: ChallengeType | undefined,
    signal: AbortSignal,
    progress?: OrderProgress,
  ): Promise<void> {
    const first = await this.client.getAuthorization(url, signal);
    const authz = first.value;
    if (authz.status === 'valid') return;
    if (authz.status !== 'pending') throw authorizationError(authz, url);
    const { solver, challenge, challengeUrl, challengeStatus } = await this.pickChallenge(authz, url, asked, signal);
    try {
      // Inside the try: `cleanUp` follows every `present`, also one that failed half-way.
      await solver.present(challenge, signal);
      const fact = { identifier: challenge.identifier, type: challenge.type };
      progress?.challenge?.({ ...fact, phase: 'presented' });
      if (challengeStatus === 'pending') await this.client.respondChallenge(challengeUrl, signal);
      const final = await pollUntil(
        () => this.client.getAuthorization(url, signal),
        (a) => a.status !== 'pending',
        first,
        this.pollOptions(signal),
      );
      if (final.status !== 'valid') {
        const err = authorizationError(final, url);
        progress?.challenge?.({ ...fact, phase: 'failed', problemType: err.type, detail: err.detail });
        throw err;
      }
      progress?.challenge?.({ ...fact, phase: 'validated' });
    } finally {
      await solver
        .cleanUp(challenge)
        .catch((err: unknown) => this.log.warn({ domain: challenge.identifier, err }, 'acme challenge cleanup failed'));
    }
  }

  private async pickChallenge(
    authz: AcmeAuthorization,
    url: string,
    asked: ChallengeType | undefined,
    signal: AbortSignal,
  ): Promise<{ solver: Solver; challenge: Challenge; challengeUrl: string; challengeStatus: string }> {
    // RFC 8555 §7.1.4: a wildcard's authorization names the base domain with `wildcard: true`.
    const identifier = authz.wildcard === true ? `*.${authz.identifier.value}` : authz.identifier.value;
    const want = this.opts.challengeFor?.(identifier, asked);
    for (const solver of this.opts.solvers) {
      if (want !== undefined && solver.type !== want) continue;
      // RFC 8555 §8.3/8.4: a token is base64url; anything else must never reach a file name, a URL path or DNS.
      const ch = authz.challenges.find((c) => c.type === solver.type && isToken(c.token));
      if (!ch) continue;
      const keyAuthorization = await this.client.keyAuthorization(ch.token!, signal);
      return {
        solver,
        challenge: { type: solver.type, identifier, token: ch.token!, keyAuthorization },
        challengeUrl: ch.url,
        challengeStatus: ch.status,
      };
    }
    throw new AppError(ACME_CODES.noSolver, 'no configured solver matches the offered challenges', {
      details: { url, identifier, wanted: want, offered: authz.challenges.map((c) => c.type) },
    });
  }

  /**
   * The chain to install for `preferred` (an issuer CN): the first chain — the default, then each
   * alternate in the CA's order — whose TOP certificate is issued by `preferred`; failing that, the
   * first in which ANY certificate is (Let's Encrypt's Gen Y chains are longer: `EE ← YE1 ← Root YE ←
   * ISRG Root X2 ← ISRG Root X1`, so the name a client trusts may sit in the middle); failing that,
   * the default. The certificate is already issued at this point, so an alternate that cannot be
   * downloaded or read is skipped (debug log), never a failure of the order.
   */
  private async chooseChain(certUrl: string, preferred: string | undefined, signal: AbortSignal): Promise<string> {
    const main = await this.client.downloadCertificate(certUrl, signal);
    if (!preferred) return main.pem;
    const mainIssuers = safeIssuerCns(main.pem);
    if (mainIssuers.at(-1) === preferred) return main.pem;
    let anywhere = mainIssuers.includes(preferred) ? main.pem : undefined;
    for (const alt of main.alternates) {
      try {
        const chain = await this.client.downloadCertificate(alt, signal);
        const issuers = issuerCns(chain.pem);
        if (issuers.at(-1) === preferred) return chain.pem;
        if (anywhere === undefined && issuers.includes(preferred)) anywhere = chain.pem;
      } catch (err) {
        if (signal.aborted) throw err;
        this.log.debug({ url: alt, err }, 'acme alternate chain unusable, skipped');
      }
    }
    if (anywhere !== undefined) return anywhere;
    this.log.info({ preferred_chain: preferred }, 'acme preferred chain not offered, using default');
    return main.pem;
  }
}

/** `issuerCns`, or none when the chain cannot be read (splitChain reports that properly). */
function safeIssuerCns(pem: string): (string | undefined)[] {
  try {
    return issuerCns(pem);
  } catch {
    return [];
  }
}

/** A challenge token as RFC 8555 §8.1 allows: base64url characters only, not empty. */
function isToken(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]+$/.test(token);
}

/** The CA refused `replaces` because the certificate already has a replacement (see `newOrder`). */
function isAlreadyReplaced(err: unknown): boolean {
  if (!(err instanceof AcmeError)) return false;
  return err.type === 'alreadyReplaced' || (err.status === 409 && /replace/i.test(`${err.type} ${err.detail}`));
}

/** The failed challenge's problem (RFC 8555 §7.1.6), as an AcmeError with code ACME_AUTHORIZATION_FAILED. */
function authorizationError(authz: AcmeAuthorization, url: string): AcmeError {
  const failed = authz.challenges.find((c) => c.error !== undefined);
  const problem = failed?.error ?? {
    type: 'urn:ietf:params:acme:error:unauthorized',
    detail: `authorization for ${authz.identifier.value} is ${authz.status}`,
  };
  const status =
    typeof (problem as { status?: unknown }).status === 'number' ? (problem as { status: number }).status : 0;
  return new AcmeError(problemFields(problem, { status, url }), { code: ACME_CODES.authorizationFailed });
}

/**
 * An order that ended unusable: the CA's `error` problem when it gave one (RFC 8555 §7.1.3); otherwise a
 * neutral problem (type `unknown`) that only says what the order's state was — no ACME type is invented.
 */
export function orderError(order: AcmeOrder, url: string): AcmeError {
  const detail =
    order.status === 'valid'
      ? 'order is valid but has no certificate URL'
      : `order is ${order.status} and the CA gave no error`;
  const problem = order.error ?? { detail };
  const status =
    typeof (problem as { status?: unknown }).status === 'number' ? (problem as { status: number }).status : 0;
  return new AcmeError(problemFields(problem, { status, url }), { code: ACME_CODES.orderInvalid });
}
