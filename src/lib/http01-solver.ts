/**
 * HTTP-01 answers kept in memory and served by the daemon's HTTP server (and by tests).
 *
 * Pebble's VA (and Let's Encrypt's) sends several concurrent validation requests per challenge, so an
 * answer stays available until `cleanUp`, and a token presented twice (a retried order) is counted so
 * that the first cleanUp does not withdraw the answer the second order still needs.
 */
import type { Challenge, Solver } from '../domain/contracts.js';

export class Http01Solver implements Solver {
  readonly type = 'http-01' as const;
  private readonly answers = new Map<string, { keyAuthorization: string; refs: number }>();

  async present(challenge: Challenge, _signal?: AbortSignal): Promise<void> {
    const existing = this.answers.get(challenge.token);
    if (existing) existing.refs += 1;
    else this.answers.set(challenge.token, { keyAuthorization: challenge.keyAuthorization, refs: 1 });
  }

  async cleanUp(challenge: Challenge): Promise<void> {
    const existing = this.answers.get(challenge.token);
    if (!existing) return;
    existing.refs -= 1;
    if (existing.refs <= 0) this.answers.delete(challenge.token);
  }

  /** The key authorization for `token`, or undefined (→ 404). */
  lookup(token: string): string | undefined {
    return this.answers.get(token)?.keyAuthorization;
  }

  /** Number of answers currently served (status, tests). */
  get size(): number {
    return this.answers.size;
  }
}
