/**
 * Errors with a stable machine-readable `code` that keep their `cause`.
 *
 * Contract: `code` values are part of the public surface (they appear in logs, metrics labels,
 * the state records and the status API), so they come from the one catalogue in `error-codes.ts`.
 */
import type { ErrorCode } from './error-codes.js';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra structured fields for logs; must never contain secrets. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `err` was caused by an AbortSignal firing (ours or a fetch's). */
export function isAbortError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR';
}

/** A short, log-safe description of any thrown value. */
export function describeError(err: unknown): { code?: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: err.message } : { message: err.message };
  }
  return { message: String(err) };
}

/**
 * The message of `err` followed by those of its causes (at most `depth`), each with its errno code when it has
 * one: `ACME request failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:14000`. For /health and /status,
 * where "ACME request failed" alone would drop the reason.
 */
export function messageWithCauses(err: unknown, depth = 3): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i <= depth && e !== undefined && e !== null; i++) {
    const d = describeError(e);
    const code = i > 0 && d.code && !d.message.includes(d.code) ? `${d.code}: ` : '';
    if (!parts.includes(d.message)) parts.push(`${code}${d.message}`);
    e = e instanceof Error ? (e as { cause?: unknown }).cause : undefined;
  }
  return parts.join(': ');
}
