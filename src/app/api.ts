/**
 * The operator API's handlers, from the daemon's parts: the reconciler's status and actions, the journal's
 * history, the API domains source, the issuer (revocation) and the event bus (the stream, and the id of
 * each accepted action). The JSON shapes are those of docs/api.md (snake_case, times in ISO 8601).
 */
import type { Issuer } from '../domain/contracts.js';
import type { Problem } from '../domain/types.js';
import type { EventBus } from '../events/bus.js';
import type { Journal } from '../events/journal.js';
import type { ApiHandlers, Outcome } from '../http/api/routes.js';
import type { ApiCertificateState, RevocationReason } from '../http/api/schemas.js';
import { describeError } from '../lib/errors.js';
import type { CertificateStatus, Reconciler } from '../reconciler/reconciler.js';
import type { ApiDomainsSource } from '../sources/api/api-source.js';

/** RFC 5280 §5.3.1 reason codes. */
const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
};
const REVOKE_TIMEOUT_MS = 60_000;

export interface ApiParts {
  readonly reconciler: Pick<Reconciler, 'status' | 'renewNow' | 'installedPem' | 'releaseRemovals'>;
  readonly events: EventBus;
  readonly journal: Journal;
  readonly domains: ApiDomainsSource;
  /** CA 0's issuer: revokes a certificate whose issuing CA is not recorded. */
  readonly issuer: Pick<Issuer, 'revoke'>;
  /** Every CA's issuer: a certificate is revoked at the CA that issued it (`ca`). */
  readonly issuers?: readonly Pick<Issuer, 'revoke' | 'directoryUrl'>[];
  /**
   * With --zk: whether this instance leads, and who does. A follower answers every state-changing call
   * with 503 naming the leader: only the leader orders, revokes and writes the storage.
   */
  readonly leadership?: () => { readonly leading: boolean; readonly leader?: string };
}

/** 503 on a follower (HA): state-changing calls go to the leader. */
function notLeader(p: ApiParts): Outcome<never> | undefined {
  const l = p.leadership?.();
  if (!l || l.leading) return undefined;
  const who = l.leader ? `the leader is ${l.leader}` : 'no leader is elected right now';
  return { ok: false, status: 503, error: `this instance is not the leader (${who}): send the request there` };
}

/** The contract's state of a certificate: the reconciler's, with `renewing` and `removal-held`. */
export function apiState(c: CertificateStatus): ApiCertificateState {
  if (c.state === 'held') return 'removal-held';
  if (c.state === 'valid' && c.job !== undefined && /^(renew|issue) \(/.test(c.job)) return 'renewing';
  return c.state;
}

/** One certificate as `GET /api/v1/certificates` shows it. */
export function apiCertificate(c: CertificateStatus): Record<string, unknown> {
  return {
    name: c.name,
    names: c.names,
    state: apiState(c),
    not_before: c.notBefore ?? null,
    not_after: c.notAfter ?? null,
    renew_at: c.renewAt ?? null,
    renew_reason: c.renewReason ?? null,
    serial: c.serial ?? null,
    issuer: c.ca ?? null,
    issuer_dn: c.issuer ?? null,
    key_type: c.keyType ?? null,
    requested_by: c.requestedBy.map((r) =>
      r.source === 'marathon' ? { source: r.source, app_id: r.appId, port_index: r.portIndex } : { source: r.source },
    ),
    last_error: c.lastError
      ? {
          code: c.lastError.code,
          type: problemUrn(c.lastError.type),
          detail: c.lastError.detail,
          subproblems: (c.lastError.subproblems ?? []).map((p) => ({
            type: problemUrn(p.type),
            detail: p.detail ?? null,
            identifier: p.identifier ?? null,
          })),
          at: c.lastError.at,
          ...(c.lastError.unpauseUrl ? { unpause_url: c.lastError.unpauseUrl } : {}),
        }
      : null,
    next_attempt: c.nextAttempt ?? null,
    removal_at: c.removeAt ?? null,
    failures: c.failures,
    last_success: c.lastSuccess ?? null,
    unwanted_since: c.unwantedSince ?? null,
    paused: c.paused === true,
    delivery_pending: c.deliveryPending === true,
    job: c.job ?? null,
  };
}

/** The ACME problem type as RFC 8555 §6.7 writes it (the records keep the short form). */
export function problemUrn(type: string | undefined): string | null {
  if (!type) return null;
  return type.includes(':') ? type : `urn:ietf:params:acme:error:${type}`;
}

export function apiProblem(p: Problem): Record<string, unknown> {
  return {
    source: p.source,
    app_id: p.appId ?? null,
    port_index: p.portIndex ?? null,
    label: p.label ?? null,
    value: p.value ?? null,
    code: p.code,
    reason: p.reason,
  };
}

export function apiHandlers(p: ApiParts): ApiHandlers {
  const find = (name: string) => p.reconciler.status().certificates.find((c) => c.name === name);
  const at = () => new Date().toISOString();
  const renew = async (
    name: string,
    by: string,
    why: 'renew' | 'replace',
  ): Promise<Outcome<{ event_id: number; name: string }>> => {
    const refused = notLeader(p);
    if (refused) return refused;
    const r = await p.reconciler.renewNow(name);
    if (r === 'unknown') return { ok: false, status: 404, error: `no certificate named '${name}' is wanted` };
    if (r === 'paused')
      return {
        ok: false,
        status: 409,
        error: `the CA paused orders for '${name}': lift the pause at its unpause URL first`,
      };
    const e = p.events.emit({ type: 'renew_requested', name, at: at(), by, why });
    return { ok: true, value: { event_id: e.id, name } };
  };
  return {
    certificates: () => p.reconciler.status().certificates.map(apiCertificate),
    certificate: async (name) => {
      const c = find(name);
      return c && { ...apiCertificate(c), history: await p.journal.history(name) };
    },
    problems: () => p.reconciler.status().problems.map(apiProblem),
    renew: (name, by) => renew(name, by, 'renew'),
    revoke: (name, reason, by) => revoke(p, find(name), name, reason, (n) => renew(n, by, 'replace')),
    ...domainHandlers(p),
    releaseRemovals: () => p.reconciler.releaseRemovals(),
    events: { subscribe: (fn) => p.events.subscribe(fn) },
  };
}

/** POST .../revoke: revoke the leaf its file holds at the CA that issued it, then order a replacement. */
async function revoke(
  p: ApiParts,
  c: CertificateStatus | undefined,
  name: string,
  reason: RevocationReason,
  replace: (name: string) => Promise<Outcome<{ event_id: number; name: string }>>,
): Promise<Outcome<{ event_id: number; name: string }>> {
  const refused = notLeader(p);
  if (refused) return refused;
  let pem: string | undefined;
  try {
    pem = c ? await p.reconciler.installedPem(name) : undefined;
  } catch (err) {
    // The errno only: the message names paths of the storage, which the API does not show.
    const code = describeError(err).code ?? 'unknown error';
    return { ok: false, status: 503, error: `cannot read the certificate file (${code}); nothing was revoked` };
  }
  if (!c?.serial) return { ok: false, status: 404, error: `no issued certificate named '${name}'` };
  if (!pem)
    return {
      ok: false,
      status: 404,
      error: `the file of '${name}' no longer holds serial ${c.serial} (replaced or removed outside marathon-acme); nothing was revoked`,
    };
  try {
    const at = p.issuers?.find((i) => i.directoryUrl === c.ca) ?? p.issuer;
    await at.revoke(pem, REASON_CODES[reason], AbortSignal.timeout(REVOKE_TIMEOUT_MS));
  } catch (err) {
    return { ok: false, status: 502, error: `the CA did not revoke it: ${describeError(err).message}` };
  }
  const revoked = p.events.emit({ type: 'revoked', name, at: new Date().toISOString(), serial: c.serial, reason });
  const replaced = await replace(name);
  return replaced.ok ? replaced : { ok: true, value: { event_id: revoked.id, name } };
}

/** PUT and DELETE /api/v1/domains/{name}. */
function domainHandlers(p: ApiParts): Pick<ApiHandlers, 'putDomain' | 'deleteDomain'> {
  return {
    putDomain: async (name, names) => {
      const refused = notLeader(p);
      if (refused) return refused;
      try {
        const r = await p.domains.put(name, names);
        if (!r.ok)
          return {
            ok: false,
            status: r.code === 'DOMAIN_NOT_ALLOWED' ? 403 : 400,
            error: `${r.value}: ${r.reason} (${r.code})`,
          };
        return {
          ok: true,
          value: { created: r.created, value: { name: r.name, names: r.names, requested_by: 'api' } },
        };
      } catch (err) {
        return { ok: false, status: 503, error: `cannot persist the API domains: ${describeError(err).message}` };
      }
    },
    deleteDomain: async (name) => {
      const refused = notLeader(p);
      if (refused) return refused;
      try {
        const names = await p.domains.remove(name);
        if (!names)
          return { ok: false, status: 404, error: `no certificate named '${name}' was added through the API` };
        return { ok: true, value: { name, names, requested_by: 'api' } };
      } catch (err) {
        return { ok: false, status: 503, error: `cannot persist the API domains: ${describeError(err).message}` };
      }
    },
  };
}
