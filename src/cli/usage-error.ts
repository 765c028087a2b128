/** A usage error: bad flags or arguments. `main` prints it as one line after the usage line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
