/**
 * The jobs the queue runs: order a certificate or install one kept from an earlier order (orders.ts),
 * ask the CA's renewal information (ARI), remove one. Each records its outcome in the records and the
 * lifecycle events, and hands written or removed names to the delivery. The CA's learnt facts (whether
 * it offers ARI) are kept here, by directory URL.
 *
 * Contract: `run` never rejects; an order that fails for its own reasons is backed off in its record
 * (`backoff` event), one that fails for lack of the CA or the storage waits on a gate; a check or
 * removal that fails is deferred (`Deferrals`); an abort at shutdown records nothing.
 */
import type { Store } from '../domain/contracts.js';
import type { EventSink } from '../domain/events.js';
import { recordRenewalInfo } from '../domain/policy.js';
import type { CaFacts, KeyType } from '../domain/types.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { AppError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { OrderBudget } from './budget.js';
import type { ChangeKind } from './delivery.js';
import type { Gate } from './gate.js';
import { Orders } from './orders.js';
import type { Job } from './queue.js';
import { type CaChoice, choiceAt, recordedCa } from './cas.js';
import type { Deferrals, Records } from './records.js';

/** After an unexpected failure of a check, wait this long before the next try (no hot loop). */
const DEFER_MS = 3600_000;
const REMOVE_RETRY_MS = 5 * 60_000;

export interface JobsOptions {
  /** Every configured CA, in order of preference (at least one). */
  readonly cas: readonly CaChoice[];
  readonly store: Pick<Store, 'install' | 'archive' | 'checkWritable' | 'readLeafPem' | 'writePendingOrder'>;
  readonly records: Records;
  readonly budget: Pick<OrderBudget, 'commit' | 'release' | 'reserve' | 'enabled'>;
  /** Orders wait on these when a CA or the storage fails them. */
  readonly gates: { ca(directoryUrl: string | undefined): Gate; readonly storage: Gate };
  readonly deferrals: Deferrals;
  readonly events: EventSink;
  /** Hands a written or removed name to the delivery. */
  readonly changed: (kind: ChangeKind, name: string) => void;
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly signal: () => AbortSignal;
  readonly keyType: KeyType;
  readonly revokeRemoved: boolean;
  readonly backoff?: BackoffPolicy;
}

export class Jobs {
  /** Whether each CA (by directory URL) offers ARI; absent = not known yet. */
  private readonly ariSupported = new Map<string, boolean>();
  private readonly orders: Orders;

  constructor(private readonly opts: JobsOptions) {
    this.orders = new Orders(opts);
  }

  /** The facts of the CA new orders go to: the most preferred one whose gate is open (else the first). */
  ca(): CaFacts {
    const { cas, gates } = this.opts;
    const choice = cas.find((c) => gates.ca(c.issuer.directoryUrl).open) ?? cas[0]!;
    return this.facts(choice);
  }

  /** The facts of every configured CA, in order of preference. */
  allCas(): CaFacts[] {
    return this.opts.cas.map((c) => this.facts(c));
  }

  private facts(choice: CaChoice): CaFacts {
    const directoryUrl = choice.issuer.directoryUrl;
    return { directoryUrl, production: choice.production, ariSupported: this.ariSupported.get(directoryUrl) };
  }

  /** The configured CA that issued `name`'s certificate (the first of `--acme` when not recorded or gone). */
  private issuerOf(name: string): CaChoice {
    const { records, cas } = this.opts;
    return choiceAt(cas, recordedCa(records.states.get(name), records.stored.get(name))) ?? cas[0]!;
  }

  async run(job: Job): Promise<void> {
    try {
      if (job.kind === 'check-ari') await this.checkRenewalInfo(job.name);
      else if (job.kind === 'remove') await this.remove(job.name, job.reason);
      else if (job.kind === 'install') await this.orders.installKept(job, this.ca().directoryUrl);
      else await this.orders.order(job);
    } catch (err) {
      if (!isAbortError(err)) this.opts.log.error({ domain: job.name, err }, 'job failed unexpectedly');
    }
  }

  private at(): string {
    return new Date(this.opts.now()).toISOString();
  }

  private async checkRenewalInfo(name: string): Promise<void> {
    const { records, log } = this.opts;
    const stored = records.stored.get(name);
    if (!stored) return;
    // ARI per CA: asked of the CA that issued the certificate, never another CA.
    const { issuer } = this.issuerOf(name);
    const ca = issuer.directoryUrl;
    try {
      // No certificate id (no AKI): the same failure, deferred and logged, as an id that cannot be read.
      if (stored.certId === undefined)
        throw new AppError('ACME_BAD_CERTIFICATE', 'certificate has no authority key identifier');
      const info = await issuer.renewalInfo(stored.certId, this.opts.signal());
      if (info === null) {
        if (this.ariSupported.get(ca) !== false)
          log.info({ ca }, 'CA offers no renewal information (ARI); renewing at two thirds of the lifetime');
        this.ariSupported.set(ca, false);
        return;
      }
      this.ariSupported.set(ca, true);
      const now = this.opts.now();
      const next = recordRenewalInfo(records.stateOf(name), stored, info, new Date(now), this.opts.random());
      await records.save(next);
      const { start, end, explanationUrl } = next.ari!;
      this.opts.events.emit({
        type: 'renewal_scheduled',
        name,
        at: new Date(now).toISOString(),
        renew_at: next.renewAt!,
        reason: 'ari-window',
        window: { start, end, explanation_url: explanationUrl },
      });
    } catch (err) {
      if (isAbortError(err) && this.opts.signal().aborted) return;
      this.opts.deferrals.defer('check-ari', name, this.opts.now() + DEFER_MS);
      log.warn({ domain: name, err, retry_in: DEFER_MS / 1000 }, 'renewal information request failed');
    }
  }

  private async remove(name: string, reason: string): Promise<void> {
    const { records, log, deferrals } = this.opts;
    const stored = records.stored.get(name);
    if (stored && this.opts.revokeRemoved) {
      try {
        // The leaf is read from its bundle now (records keep no PEM), only while it is still this serial.
        const pem = await this.opts.store.readLeafPem(name, stored.serial);
        if (pem === undefined) {
          log.warn({ domain: name, serial: stored.serial }, 'certificate file changed, not revoked; archiving anyway');
        } else {
          await this.issuerOf(name).issuer.revoke(pem, 5, this.opts.signal());
          this.opts.events.emit({ type: 'revoked', name, at: this.at(), serial: stored.serial });
        }
      } catch (err) {
        log.warn({ domain: name, err }, 'revocation failed; archiving anyway');
      }
    }
    try {
      await this.opts.store.archive(name);
    } catch (err) {
      deferrals.defer('remove', name, this.opts.now() + REMOVE_RETRY_MS);
      log.error({ domain: name, err, retry_in: REMOVE_RETRY_MS / 1000 }, 'cannot archive certificate');
      return;
    }
    deferrals.clear('remove', name);
    records.setStored(name, undefined);
    await records.drop(name);
    // An order a leader left unfinished (orders/<name>.json, with its private key) has no use any more.
    await this.opts.store
      .writePendingOrder?.(name, null)
      .catch((err: unknown) => log.warn({ domain: name, err }, 'cannot delete the pending order'));
    this.opts.events.emit({ type: 'removed', name, at: this.at(), reason });
    this.opts.changed('removed', name);
  }
}
