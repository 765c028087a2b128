/**
 * Rules on certificate names shared by the planner, name validation and the store.
 */

/**
 * The longest name that can be a certificate: `certs/<name>.pem` must fit a file name (255 bytes on
 * every Linux file system), so 251 — below DNS's 253. Checked when a name is validated, before any
 * order, so the CA is never asked for a certificate the store could not write.
 */
export const MAX_CERT_NAME_LENGTH = 255 - '.pem'.length;

/** Same set of names, order and case aside (the first name only picks the file). Duplicates do not count. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a.map((n) => n.toLowerCase()));
  const sb = new Set(b.map((n) => n.toLowerCase()));
  if (sa.size !== sb.size) return false;
  for (const n of sa) if (!sb.has(n)) return false;
  return true;
}
