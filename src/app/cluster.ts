/**
 * High availability (`--zk`): the reconciler runs only while this instance leads, one fresh Reconciler
 * per leadership term, started with the term's AbortSignal (it reads the shared storage — records,
 * backoffs, removal grace, the order budget — exactly as a restarted single daemon would). Between
 * terms this instance follows: it keeps the latest snapshot of every source (handed to the next term at
 * once), shows the certificates of the shared storage in /status (re-read every 15 s, nothing
 * planned or written), and answers HTTP-01 from ZooKeeper.
 *
 * Contract: at most one term's reconciler runs at a time — a new term starts only after the previous
 * one has settled; `start(signal)` resolves after `signal` aborted, the term ended, our election node
 * was deleted (the next candidate leads at once) and the session closed.
 */
import type { AcmeIssuer } from '../acme/index.js';
import type { ClusterView, Election, Term } from '../cluster/election.js';
import type { Snapshot } from '../domain/types.js';
import type { Logger } from '../lib/logger.js';
import { retryUntilAborted } from '../lib/retry.js';
import type { Metrics } from '../observe/metrics.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import { warmUpAccount } from './warm-up.js';

/** What run.ts and the HTTP handlers need of the reconciler, with or without a cluster. */
export type ReconcilerLike = Pick<
  Reconciler,
  | 'start'
  | 'setSnapshot'
  | 'refresh'
  | 'releaseRemovals'
  | 'publishMetrics'
  | 'status'
  | 'streamedStatus'
  | 'renewNow'
  | 'installedPem'
>;

/** A follower re-reads the shared storage for /status this often. */
const VIEW_REFRESH_MS = 15_000;

export interface ClusterWorkOptions {
  readonly election: Election;
  /** A fresh reconciler over the fenced storage (one per term, and one for the follower's view). */
  readonly newReconciler: () => Reconciler;
  readonly issuer: Pick<AcmeIssuer, 'init' | 'directoryMeta'>;
  /** Every CA's issuer (several CAs): each term readies every account; followers read every directory. */
  readonly issuers?: readonly Pick<AcmeIssuer, 'init' | 'directoryMeta'>[];
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class ClusterWork implements ReconcilerLike {
  private current: Reconciler;
  private leading?: Reconciler;
  private readonly snapshots = new Map<string, Snapshot>();
  /** The previous term's reconciler settling: the next term waits for it. */
  private settling: Promise<void> = Promise.resolve();
  private viewTimer?: NodeJS.Timeout;
  private viewAt = 0;

  constructor(private readonly opts: ClusterWorkOptions) {
    this.current = opts.newReconciler();
  }

  /** Join the election and work per term until `signal` aborts; then hand over. */
  async start(signal: AbortSignal): Promise<void> {
    const { election } = this.opts;
    election.setOnTerm((term) => this.onTerm(term));
    election.start();
    this.followerView();
    this.viewTimer = setInterval(() => this.followerView(), VIEW_REFRESH_MS);
    void this.checkCa(signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(this.viewTimer);
    await election.stop();
    await this.settling;
  }

  setSnapshot(source: string, snapshot: Snapshot): void {
    this.snapshots.set(source, snapshot);
    this.current.setSnapshot(source, snapshot);
  }

  refresh(): Promise<void> {
    return this.leading ? this.leading.refresh() : Promise.resolve();
  }

  releaseRemovals(): string[] {
    return this.leading ? this.leading.releaseRemovals() : [];
  }

  /** Only the leader renews (the API refuses on a follower first; this is the backstop). */
  renewNow(name: string): ReturnType<Reconciler['renewNow']> {
    return this.leading ? this.leading.renewNow(name) : Promise.resolve('unknown');
  }

  installedPem(name: string): Promise<string | undefined> {
    return this.current.installedPem(name);
  }

  publishMetrics(): void {
    const view: ClusterView = this.opts.election.view();
    this.opts.metrics.leader.set(view.leading ? 1 : 0);
    this.opts.metrics.clusterMembers.set(view.members.length);
    this.current.publishMetrics();
  }

  status(): ReturnType<Reconciler['status']> {
    return this.current.status();
  }

  streamedStatus(): ReturnType<Reconciler['streamedStatus']> {
    return this.current.streamedStatus();
  }

  /** A term began: wait for the previous one to settle, then run a fresh reconciler until it ends. */
  private onTerm(term: Term): void {
    const previous = this.settling;
    this.settling = previous.then(async () => {
      if (term.signal.aborted) return;
      const reconciler = this.opts.newReconciler();
      for (const [source, snapshot] of this.snapshots) reconciler.setSnapshot(source, snapshot);
      this.current = reconciler;
      this.leading = reconciler;
      this.opts.metrics.leader.set(1);
      await Promise.all([
        reconciler.start(term.signal),
        ...(this.opts.issuers ?? [this.opts.issuer]).map((i) => warmUpAccount(i, this.opts.logger, term.signal)),
      ]);
      this.leading = undefined;
      this.opts.metrics.leader.set(0);
      this.opts.logger.info({ term: term.number }, 'leadership term ended; work stopped');
    });
  }

  /** While following: re-read the shared storage for /status (nothing planned, nothing written). */
  private followerView(): void {
    if (this.leading || Date.now() - this.viewAt < VIEW_REFRESH_MS / 2) return;
    this.viewAt = Date.now();
    const view = this.opts.newReconciler();
    for (const [source, snapshot] of this.snapshots) view.setSnapshot(source, snapshot);
    view.readView().then(
      () => {
        if (!this.leading) this.current = view;
      },
      (err: unknown) => this.opts.logger.debug({ err }, 'follower: cannot read the storage for /status'),
    );
  }

  /** Followers contact the CA only to read its directory (for /health), never to change anything. */
  private async checkCa(signal: AbortSignal): Promise<void> {
    const policy = { baseMs: 1000, capMs: 30_000, factor: 2, jitter: 0.3 };
    const each = (i: Pick<AcmeIssuer, 'directoryMeta'>) =>
      retryUntilAborted(() => i.directoryMeta(signal), { policy, signal, retryable: () => true }).catch(
        () => undefined,
      );
    await Promise.all((this.opts.issuers ?? [this.opts.issuer]).map(each));
  }
}
