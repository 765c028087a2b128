/**
 * State records (`state/<name>.json`) and the account record (`account-state.json`): parsing with a
 * shape check. Pure. (A missing record is rebuilt
 * from its bundle by `stateFromCert` in domain/policy.ts, so deleting `state/` never loses a certificate.)
 */
import type { AccountState, CaAccountState, CertState } from '../domain/types.js';
import { AppError } from '../lib/errors.js';

/**
 * Parse one record. Throws `STATE_CORRUPT` unless it is JSON with the required fields (`name` equal to
 * the file stem, `names` a string array, `requestedBy` an array, `failures` a non-negative number, and
 * `issuer`, when present, a string: records written before it existed load unchanged).
 */
export function parseStateRecord(name: string, text: string): CertState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt('not JSON', err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt('not an object');
  const rec = value as Record<string, unknown>;
  if (rec.name !== name) throw corrupt('name differs from the file name');
  if (!Array.isArray(rec.names) || !rec.names.every((n) => typeof n === 'string'))
    throw corrupt('names is not a list of strings');
  if (!Array.isArray(rec.requestedBy)) throw corrupt('requestedBy is not a list');
  if (typeof rec.failures !== 'number' || !(rec.failures >= 0)) throw corrupt('failures is not a number');
  if (rec.issuer !== undefined && typeof rec.issuer !== 'string') throw corrupt('issuer is not a string');
  return rec as unknown as CertState;
}

function corrupt(reason: string, cause?: unknown): AppError {
  return new AppError('STATE_CORRUPT', 'state record is corrupt', { cause, details: { reason } });
}

/**
 * Parse `account-state.json` (shapes: see `AccountState`). Throws (a SyntaxError or TypeError) unless it
 * is a JSON object; within it, times that are not ISO strings and CA entries that are not objects are
 * dropped, and other fields of a CA's entry are kept as they are (a later version's, written back).
 */
export function parseAccountState(text: string): AccountState {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('account state is not an object');
  const rec = value as { newOrders?: unknown; cas?: unknown };
  const out: { newOrders?: readonly string[]; cas?: Record<string, CaAccountState> } = {};
  if (Array.isArray(rec.newOrders)) out.newOrders = isoTimes(rec.newOrders);
  if (typeof rec.cas === 'object' && rec.cas !== null && !Array.isArray(rec.cas)) {
    out.cas = {};
    for (const [url, entry] of Object.entries(rec.cas)) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
      const e = entry as { newOrders?: unknown };
      out.cas[url] = { ...e, newOrders: Array.isArray(e.newOrders) ? isoTimes(e.newOrders) : [] };
    }
  }
  return out;
}

function isoTimes(list: readonly unknown[]): string[] {
  return list.filter((t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t)));
}
