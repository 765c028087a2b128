/**
 * HTTP-01 answers in this process's memory: the default `ChallengeStore` of a single daemon. Only the
 * instance that presented an answer can serve it (HA needs a shared store).
 */
import type { ChallengeStore } from '../domain/contracts.js';

export class MemoryChallengeStore implements ChallengeStore {
  private readonly answers = new Map<string, string>();

  async present(token: string, keyAuthorization: string): Promise<void> {
    this.answers.set(token, keyAuthorization);
  }

  async lookup(token: string): Promise<string | undefined> {
    return this.answers.get(token);
  }

  async cleanUp(token: string): Promise<void> {
    this.answers.delete(token);
  }

  /** Number of answers currently served (tests). */
  get size(): number {
    return this.answers.size;
  }
}
