/**
 * Resuming an order the CA accepted earlier (a crash, or another instance's leadership term): RFC 8555
 * lets the account fetch an order by URL, so the names are not ordered again.
 *
 * Contract: resolves with the order and its key's CSR when the CA still has it for exactly these names and
 * it can still succeed; undefined (order anew) when the names differ, the CA no longer knows it (an ACME
 * error) or it ended invalid. A network failure (an outage) rejects, so the caller waits instead.
 */
import type { IssueRequest } from '../domain/contracts.js';
import type { Logger } from '../lib/logger.js';
import { csrForKey } from '../pki/csr.js';
import type { AcmeClient, AcmeOrder } from './client.js';
import { AcmeError } from './errors.js';

export interface StartedOrder {
  readonly url: string;
  readonly order: AcmeOrder;
  readonly keyAndCsr: Promise<{ keyPem: string; csrDer: Buffer }>;
}

export async function resumeOrder(
  client: Pick<AcmeClient, 'getOrder'>,
  log: Logger,
  pending: NonNullable<IssueRequest['resume']>,
  names: string[],
  signal: AbortSignal,
): Promise<StartedOrder | undefined> {
  const same = pending.names.length === names.length && pending.names.every((n, i) => n === names[i]);
  if (!same) return undefined;
  let order: AcmeOrder;
  try {
    order = (await client.getOrder(pending.orderUrl, signal)).value;
  } catch (err) {
    // The CA no longer knows it (404, malformed, a restarted test CA): a new order. An outage propagates.
    // Only "no such order" ends it; a 5xx or a rate limit is an outage: wait, never order the names again.
    const transient =
      err instanceof AcmeError && (err.status >= 500 || err.status === 429 || err.type === 'rateLimited');
    if (!(err instanceof AcmeError) || transient) throw err;
    log.info({ domain: names[0], order: pending.orderUrl, err }, 'acme pending order gone, ordering anew');
    return undefined;
  }
  if (order.status === 'invalid') {
    log.info({ domain: names[0], order: pending.orderUrl }, 'acme pending order invalid, ordering anew');
    return undefined;
  }
  log.info({ domain: names[0], order: pending.orderUrl, status: order.status }, 'acme pending order resumed');
  return { url: pending.orderUrl, order, keyAndCsr: Promise.resolve(csrForKey(names, pending.keyPem)) };
}
