/**
 * The HTTP-01 solver: puts answers in a `ChallengeStore`, from which the daemon's HTTP server (any
 * instance, with a shared store) serves them at /.well-known/acme-challenge/<token>.
 *
 * Pebble's VA (and Let's Encrypt's) sends several concurrent validation requests per challenge, so an
 * answer stays available until `cleanUp`, and a token presented twice (a retried order) is counted so
 * that the first cleanUp does not withdraw the answer the second order still needs. The count is this
 * solver's own; the store only ever sees the first `present` and the last `cleanUp` of a token. A
 * `present` the store rejects is forgotten at once, so a later order of the same token tries again.
 */
import type { Challenge, ChallengeStore, Solver } from '../domain/contracts.js';
import { MemoryChallengeStore } from './memory-challenge-store.js';

export class Http01Solver implements Solver {
  readonly type = 'http-01' as const;
  /** Per token: how many presenters still need it, and the store's `present` they all wait for. */
  private readonly tokens = new Map<string, { refs: number; readonly ready: Promise<void> }>();

  constructor(private readonly store: ChallengeStore = new MemoryChallengeStore()) {}

  async present(challenge: Challenge, _signal?: AbortSignal): Promise<void> {
    const existing = this.tokens.get(challenge.token);
    if (existing) {
      existing.refs += 1;
      return existing.ready;
    }
    const ready = this.store.present(challenge.token, challenge.keyAuthorization);
    const entry = { refs: 1, ready };
    this.tokens.set(challenge.token, entry);
    // A store that failed to publish the answer must not poison the token for later orders: forget it, so
    // the next `present` asks the store again (the caller's `cleanUp` then finds nothing to release).
    ready.catch(() => {
      if (this.tokens.get(challenge.token) === entry) this.tokens.delete(challenge.token);
    });
    return ready;
  }

  async cleanUp(challenge: Challenge): Promise<void> {
    const existing = this.tokens.get(challenge.token);
    if (!existing) return;
    existing.refs -= 1;
    if (existing.refs > 0) return;
    this.tokens.delete(challenge.token);
    await this.store.cleanUp(challenge.token);
  }

  /** The key authorization for `token`, or undefined (→ 404). Never rejects for an unknown token. */
  lookup(token: string): Promise<string | undefined> {
    return this.store.lookup(token);
  }

  /** Number of tokens this solver currently presents (status, tests). */
  get size(): number {
    return this.tokens.size;
  }
}
