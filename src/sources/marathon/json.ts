/**
 * Reading untrusted JSON objects (Marathon app definitions) without tripping on prototypes: only own
 * properties count, and `null` counts as absent (Python's `key in d` on the JSON that 0.6.1 read, where
 * a null field never appeared in practice). Pure and total.
 */

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property (inherited ones are never labels or fields). */
export function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Python's `key in d` for JSON: present and not null. */
export function has(o: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(o, key) && o[key] !== null && o[key] !== undefined;
}
