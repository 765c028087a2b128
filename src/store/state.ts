/**
 * State records (`state/<name>.json`): parsing with a shape check. Pure. (A missing record is rebuilt
 * from its bundle by `stateFromCert` in domain/policy.ts, so deleting `state/` never loses a certificate.)
 */
import type { CertState } from '../domain/types.js';
import { AppError } from '../lib/errors.js';

/**
 * Parse one record. Throws `STATE_CORRUPT` unless it is JSON with the required fields (`name` equal to
 * the file stem, `names` a string array, `requestedBy` an array, `failures` a non-negative number).
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
  return rec as unknown as CertState;
}

function corrupt(reason: string, cause?: unknown): AppError {
  return new AppError('STATE_CORRUPT', 'state record is corrupt', { cause, details: { reason } });
}
