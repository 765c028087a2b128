/**
 * Operator actions on one certificate (the API's renew and revoke), as pure changes of its record, and
 * the installed leaf a revocation needs (read from its bundle).
 * A forced renewal ignores the certificate's backoff but nothing the CA imposes: a name the CA paused
 * stays paused (lift it at the unpause URL), and new orders still wait for the order budget.
 */
import type { Store } from '../domain/contracts.js';
import type { CertSpec, CertState, StoredCert } from '../domain/types.js';
import type { Records } from './records.js';

/** What an operator's renew or revoke found. */
export type ActionResult = 'accepted' | 'unknown' | 'paused';

/**
 * The record that makes the next plan renew now: its chosen renewal moment is `now` (for the installed
 * serial) and its backoff is cleared. Without an installed certificate only the backoff is cleared (the
 * next plan issues).
 */
export function forceRenewal(state: CertState, stored: StoredCert | undefined, now: string): CertState {
  const { nextAttempt: _n, ...rest } = state;
  if (!stored || stored.selfSigned) return rest;
  return { ...rest, serial: stored.serial, renewAt: now };
}

/** Renew `name` now: its record saved with `forceRenewal`; the caller plans. */
export async function renewNow(
  records: Records,
  name: string,
  spec: CertSpec | undefined,
  now: number,
): Promise<ActionResult> {
  if (!spec) return 'unknown';
  const state = records.stateOf(name, spec);
  if (state.paused) return 'paused';
  await records.save(forceRenewal(state, records.stored.get(name), new Date(now).toISOString()));
  return 'accepted';
}

/**
 * The installed leaf of `name` (PEM), for an operator's revocation: read from its bundle now, and only
 * while that file still holds the certificate the records know (its serial); not the self-signed
 * fallback. Undefined otherwise; rejects as `Store.readLeafPem` does (a file that cannot be read).
 */
export async function installedPem(
  records: Pick<Records, 'stored'>,
  store: Pick<Store, 'readLeafPem'>,
  name: string,
): Promise<string | undefined> {
  const stored = records.stored.get(name);
  if (!stored || stored.selfSigned) return undefined;
  return store.readLeafPem(name, stored.serial);
}
