/**
 * The agent's loop: long-poll the feed, apply each snapshot to the directory, signal the load balancers
 * once per batch, and retry with backoff when no server answers.
 *
 * One round: snapshot (at once the first time, then a long-poll of `WAIT_SECONDS` that returns as soon as
 * the server's version passes ours) → `planSync` → fetch the changed bundles (batches of 200) → write each
 * checked bundle → remove the bundles the server no longer serves → signal once if anything changed.
 * A bundle that changed on the server meanwhile (fingerprint differs) is not written this round; the next
 * round (at once) picks it up. Errors never remove anything; every file stays until a good snapshot says so.
 * Servers are tried in order; the one that answered is asked first next time.
 */
import type { Notifier } from '../domain/contracts.js';
import { sleep } from '../lib/abort.js';
import { type BackoffPolicy, backoffDelay } from '../lib/backoff.js';
import { AppError, describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SyncClient, SyncSnapshot } from './client.js';
import type { AgentDir } from './local.js';
import { type Applied, batches, planSync } from './plan.js';

export const WAIT_SECONDS = 25;
const BATCH = 200;
const WRITE_CONCURRENCY = 8;
const RETRY: BackoffPolicy = { baseMs: 1000, capMs: 30_000, factor: 2, jitter: 0.5 };

/** What /health and /metrics report. */
export interface AgentStatus {
  startedAt: number;
  lastSuccessAt: number | null;
  lastAttemptAt: number | null;
  lastError: { code: string; message: string; server?: string } | null;
  consecutiveFailures: number;
  failuresTotal: number;
  certificates: number;
  server: string | null;
  epoch: string | null;
  version: number;
  writtenTotal: number;
  removedTotal: number;
  removalsHeld: number;
  signals: { ok: number; failed: number };
  lastSignal: { ok: boolean; at: number; detail?: string } | null;
}

export interface AgentDeps {
  readonly servers: readonly string[];
  readonly client: SyncClient;
  readonly dir: AgentDir;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly random?: () => number;
}

/** An agent's status before its first sync (started at `startedAt`, epoch ms). */
export function initialAgentStatus(startedAt: number): AgentStatus {
  return {
    startedAt,
    lastSuccessAt: null,
    lastAttemptAt: null,
    lastError: null,
    consecutiveFailures: 0,
    failuresTotal: 0,
    certificates: 0,
    server: null,
    epoch: null,
    version: 0,
    writtenTotal: 0,
    removedTotal: 0,
    removalsHeld: 0,
    signals: { ok: 0, failed: 0 },
    lastSignal: null,
  };
}

export class Agent {
  readonly status: AgentStatus = initialAgentStatus(Date.now());
  private applied: Applied | undefined;
  private preferred = 0;
  private readonly log: Logger;

  constructor(private readonly d: AgentDeps) {
    this.log = d.logger.child({ component: 'agent' });
  }

  /** Run until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    let retryNow = false;
    while (!signal.aborted) {
      this.status.lastAttemptAt = Date.now();
      try {
        const wait = this.applied && !retryNow ? WAIT_SECONDS : 0;
        const snap = await this.fetchSnapshot(wait, signal);
        retryNow = !(await this.apply(snap, signal));
        this.succeeded();
        if (retryNow) await sleep(200, signal).catch(() => undefined);
      } catch (err) {
        if (signal.aborted) break;
        await this.failed(err, signal);
      }
    }
  }

  /** Ask the servers in order, the last one that answered first. */
  private async fetchSnapshot(wait: number, signal: AbortSignal): Promise<SyncSnapshot & { server: string }> {
    const n = this.d.servers.length;
    let last: unknown;
    for (let i = 0; i < n; i += 1) {
      const index = (this.preferred + i) % n;
      const server = this.d.servers[index]!;
      try {
        const snap = await this.d.client.snapshot(
          server,
          this.applied?.epoch,
          this.applied?.version ?? 0,
          wait,
          signal,
        );
        this.preferred = index;
        return { ...snap, server };
      } catch (err) {
        if (signal.aborted) throw err;
        last = err;
        if (n > 1) this.log.warn({ server, code: codeOf(err) }, 'sync server failed; trying the next');
      }
    }
    throw last;
  }

  /** Apply one snapshot; false when some bundle has to be fetched again (it changed meanwhile). */
  private async apply(snap: SyncSnapshot & { server: string }, signal: AbortSignal): Promise<boolean> {
    const local = await this.d.dir.state();
    const plan = planSync(local, snap, this.applied);
    if (plan.kind === 'stale') {
      this.log.warn(
        { server: snap.server, epoch: snap.epoch, version: snap.version, reason: plan.reason },
        'snapshot ignored',
      );
      return true;
    }
    const written: string[] = [];
    let complete = true;
    for (const names of batches([...plan.fetch.keys()], BATCH)) {
      const got = await this.d.client.bundles(snap.server, names, signal);
      // A few writes at once: each waits on two fsyncs, which overlap well.
      for (const group of batches(names, WRITE_CONCURRENCY)) {
        const results = await Promise.all(
          group.map((name) => this.writeOne(name, got.get(name), plan.fetch.get(name)!)),
        );
        for (const [i, ok] of results.entries()) if (ok) written.push(group[i]!);
        if (results.includes(false)) complete = false;
      }
    }
    if (plan.fetchDefault !== null) {
      const text = await this.d.client.defaultPem(snap.server, signal);
      if (text !== null) await this.d.dir.writeDefault(text, plan.fetchDefault);
    }
    for (const name of plan.remove) await this.d.dir.removeBundle(name);
    if (plan.removalsHeld > 0 && this.status.removalsHeld === 0)
      this.log.warn(
        { server: snap.server, held: plan.removalsHeld },
        'the server lists no certificate: nothing removed',
      );
    this.status.removalsHeld = plan.removalsHeld;
    this.recordApplied(snap, written.length, plan.remove.length, complete);
    if (written.length > 0 || plan.remove.length > 0) await this.signal(written, [...plan.remove], signal);
    return complete;
  }

  /** Write one fetched bundle; false (logged) when it is missing or fails its check: asked again next round. */
  private async writeOne(name: string, text: string | null | undefined, sha: string): Promise<boolean> {
    try {
      if (text === null || text === undefined) throw new AppError('SYNC_BAD_ANSWER', 'bundle not served');
      await this.d.dir.writeBundle(name, text, sha);
      return true;
    } catch (err) {
      this.log.info({ domain: name, code: codeOf(err) }, 'bundle not written this round; asking again');
      return false;
    }
  }

  private recordApplied(
    snap: SyncSnapshot & { server: string },
    written: number,
    removed: number,
    complete: boolean,
  ): void {
    // An incomplete round keeps the previous version, so the next long-poll answers at once.
    if (complete) this.applied = { epoch: snap.epoch, version: snap.version };
    this.status.server = snap.server;
    this.status.epoch = snap.epoch;
    this.status.version = snap.version;
    this.status.writtenTotal += written;
    this.status.removedTotal += removed;
    this.status.certificates = snap.certificates.length;
    if (written + removed > 0)
      this.log.info({ server: snap.server, version: snap.version, written, removed }, 'certificates synced');
  }

  private async signal(written: string[], removed: string[], signal: AbortSignal): Promise<void> {
    const r = await this.d.notifier.notify({ written, removed }, signal);
    this.status.signals[r.ok ? 'ok' : 'failed'] += 1;
    this.status.lastSignal = { ok: r.ok, at: Date.now(), ...(r.detail ? { detail: r.detail } : {}) };
    if (!r.ok) this.log.warn({ detail: r.detail }, 'load balancer signal failed; retried in the background');
  }

  private succeeded(): void {
    if (this.status.consecutiveFailures > 0)
      this.log.info({ failures: this.status.consecutiveFailures }, 'sync server reachable again');
    this.status.lastSuccessAt = Date.now();
    this.status.consecutiveFailures = 0;
    this.status.lastError = null;
  }

  private async failed(err: unknown, signal: AbortSignal): Promise<void> {
    this.status.consecutiveFailures += 1;
    this.status.failuresTotal += 1;
    const d = describeError(err);
    const server = err instanceof AppError ? (err.details.server as string | undefined) : undefined;
    this.status.lastError = { code: codeOf(err), message: d.message, ...(server ? { server } : {}) };
    const delay = backoffDelay(RETRY, this.status.consecutiveFailures, (this.d.random ?? Math.random)());
    this.log.warn(
      { code: codeOf(err), err, server, retry_in_ms: delay, failures: this.status.consecutiveFailures },
      'sync failed; keeping every file, retrying',
    );
    await sleep(delay, signal).catch(() => undefined);
  }
}

/** The catalogue code of a failure: the AppError's, a file-system errno → STORAGE_NOT_WRITABLE. */
function codeOf(err: unknown): string {
  if (err instanceof AppError) return err.code;
  return typeof (err as NodeJS.ErrnoException)?.code === 'string' ? 'STORAGE_NOT_WRITABLE' : 'SYNC_UNREACHABLE';
}
