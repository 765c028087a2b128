/**
 * The registry of CAs (issue 13): one `AcmeIssuer` per ACME directory URL of `--acme`, in order of
 * preference, each with its own account key, EAB, trusted CA file, profile and preferred chain. The
 * reconciler takes `choices()` (which CA to try first, and the fallbacks); /health and /status show
 * every issuer's status.
 *
 * Contract: at least one CA; directory URLs are distinct; every issuer shares the challenge solvers
 * (one HTTP-01 answer store serves every CA's validations).
 */
import type { Issuer, Solver } from '../domain/contracts.js';
import type { ChallengeType } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { AccountKeyStore } from './account.js';
import { AcmeIssuer } from './issuer.js';

/** One CA as the composition root describes it. */
export interface RegistryEntry {
  readonly directoryUrl: string;
  /** CA 0: `client.key`; the others their own key under the storage dir. */
  readonly accountKey: AccountKeyStore;
  readonly eab?: { readonly kid: string; readonly hmacKey: string };
  /** PEM of an extra CA to trust for this ACME server. */
  readonly ca?: string;
  readonly profile?: string;
  readonly preferredChain?: string;
  /** A production CA (not a test or staging one). */
  readonly production: boolean;
}

/** What the reconciler needs of one CA (structurally `reconciler/cas.ts`'s `CaChoice`). */
export interface IssuerChoice {
  readonly issuer: Issuer;
  readonly production: boolean;
  readonly profile?: string;
  readonly preferredChain?: string;
}

export class IssuerRegistry {
  /** One issuer per CA, in order of preference. */
  readonly issuers: readonly AcmeIssuer[];

  constructor(
    private readonly entries: readonly RegistryEntry[],
    common: {
      email?: string;
      solvers: Solver[];
      challengeFor?: (identifier: string, asked: ChallengeType | undefined) => ChallengeType;
      fence?: (operation: string) => void;
      logger: Logger;
      metrics?: Metrics;
    },
  ) {
    if (entries.length === 0) throw new Error('IssuerRegistry needs at least one CA');
    this.issuers = entries.map(
      (e) =>
        new AcmeIssuer({
          directoryUrl: e.directoryUrl,
          accountKey: e.accountKey,
          email: common.email,
          eab: e.eab,
          ca: e.ca,
          solvers: common.solvers,
          challengeFor: common.challengeFor,
          ...(common.fence ? { fence: common.fence } : {}),
          logger: entries.length > 1 ? common.logger.child({ ca_index: entries.indexOf(e) }) : common.logger,
          metrics: common.metrics,
        }),
    );
  }

  /** The CAs in order of preference, with their settings. */
  choices(): IssuerChoice[] {
    return this.entries.map((e, i) => ({
      issuer: this.issuers[i]!,
      production: e.production,
      ...(e.profile ? { profile: e.profile } : {}),
      ...(e.preferredChain ? { preferredChain: e.preferredChain } : {}),
    }));
  }

  /** The issuer of the CA at `directoryUrl` (without userinfo), if configured. */
  byUrl(directoryUrl: string): AcmeIssuer | undefined {
    return this.issuers.find((i) => i.directoryUrl === directoryUrl);
  }

  close(): void {
    for (const i of this.issuers) i.close();
  }
}
