/** What a `Reconciler` is built from (app/compose.ts builds it; tests build it with fakes). */
import type { Issuer, Notifier, Store } from '../domain/contracts.js';
import type { EventSink } from '../domain/events.js';
import type { KeyType } from '../domain/types.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { CaChoice } from './cas.js';

export interface ReconcilerOptions {
  readonly store: Store;
  readonly issuer: Issuer;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Where the lifecycle events go (logs and metrics subscribe there: see src/events/). */
  readonly events: EventSink;
  /** Names of the sources that must each deliver a snapshot before anything counts as unwanted. */
  readonly sources: readonly string[];
  readonly keyType: KeyType;
  readonly profile?: string;
  readonly preferredChain?: string;
  readonly removeAfterMs: number;
  readonly maxRemovalFraction: number;
  readonly revokeRemoved: boolean;
  /** The issuer's CA is a production CA (a fact of that CA: certificates of a test CA get replaced). */
  readonly productionCa: boolean;
  /** Every CA in order of preference (issue 13); default: one, from `issuer`, `productionCa`, `profile`, ... */
  readonly cas?: readonly CaChoice[];
  readonly maxConcurrentOrders: number;
  /** New orders per 3 hours and CA; 0 = no budget. Renewals are exempt (as Let's Encrypt exempts them). */
  readonly orderBudget: number;
  /** Failure backoff (default: 5 minutes doubling to a day). */
  readonly backoff?: BackoffPolicy;
  /** Batch window for load-balancer notifications (default 1 s; at most `notifyMaxDelayMs`). */
  readonly notifyDebounceMs?: number;
  readonly notifyMaxDelayMs?: number;
  /** Ask the sources for a fresh reading (a removal is due but the last snapshot predates its deadline). */
  readonly requestResync?: () => void;
  readonly clock?: () => number;
  readonly random?: () => number;
}
