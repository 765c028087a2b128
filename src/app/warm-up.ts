/** The CA account, made ready in the background at start. */
import type { AcmeIssuer } from '../acme/index.js';
import type { Logger } from '../lib/logger.js';
import { retryUntilAborted } from '../lib/retry.js';

/**
 * 1 s doubling to 30 s: the directory and account lookup are cheap, and /health should see the CA
 * come back within seconds (orders do not wait for this: they wait on the reconciler's CA gate).
 */
const WARM_UP_BACKOFF = { baseMs: 1000, capMs: 30_000, factor: 2, jitter: 0.3 };

/**
 * Fetch the directory and find or register the account in the background, with backoff, so the CA's
 * reachability shows in /health early and the first order does not pay for it. Never throws; resolves
 * once the account is ready or `signal` aborts.
 */
export async function warmUpAccount(
  issuer: Pick<AcmeIssuer, 'init' | 'directoryMeta'>,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  await retryUntilAborted(
    async () => {
      await issuer.init(signal);
      const meta = await issuer.directoryMeta(signal);
      logger.info(
        { terms_of_service: meta.termsOfService, profiles: Object.keys(meta.profiles), ari: meta.renewalInfo },
        'ACME account ready',
      );
    },
    {
      policy: WARM_UP_BACKOFF,
      signal,
      // Every failure is worth another attempt (a timeout too); only our own abort ends the loop.
      retryable: () => true,
      // One warning, then debug lines: an outage is a state (in /health and /status), not a stream of logs.
      onFailure: (err, attempt, delayMs) =>
        (attempt === 1 ? logger.warn : logger.debug).call(
          logger,
          { err, attempt, retry_in: Math.round(delayMs / 1000) },
          'ACME server not reachable',
        ),
    },
  ).catch(() => undefined);
}
