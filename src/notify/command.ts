/**
 * Run a configured command after each batch (e.g. a reload script for a setup without marathon-lb).
 * No shell: the argv list is executed as given. The changed names are passed in the environment:
 * `MARATHON_ACME_WRITTEN`, `MARATHON_ACME_REMOVED` and `MARATHON_ACME_CHANGED` (space-separated; names
 * are validated DNS names, so they contain no spaces). Exit status 0 = success; the exit status and
 * the tail of stderr are logged. A failed run is retried in the background until it succeeds or a
 * newer batch supersedes it; the names of a batch whose run failed are kept and passed again with the
 * next run (the latest event of a name wins: written then removed is passed as removed), so the
 * command always receives every name changed since its last successful run.
 */
import type { Change, Notifier } from '../domain/contracts.js';
import { abortReason } from '../lib/abort.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { BackgroundRetries, PendingNames } from './retry.js';
import { describeResult, runCommand } from './run-command.js';

export interface CommandNotifierOptions {
  /** The command and its arguments, e.g. `['/usr/local/bin/reload-haproxy', '--quiet']`. */
  readonly argv: readonly string[];
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Kill the command after this long (SIGTERM, then SIGKILL 2 s later). Default 60 s. */
  readonly timeoutMs?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly retry?: BackoffPolicy;
  readonly random?: () => number;
}

export class CommandNotifier implements Notifier {
  readonly name = 'command';
  private readonly log: Logger;
  private readonly retries: BackgroundRetries;
  /** Names changed since the last successful run. */
  private readonly pending = new PendingNames();

  /** Throws `INVALID_COMMAND` for an empty argv. */
  constructor(private readonly options: CommandNotifierOptions) {
    if (options.argv.length === 0 || options.argv[0]!.length === 0)
      throw new AppError('INVALID_COMMAND', 'the notify command is empty');
    this.log = options.logger.child({ component: 'notify', notifier: this.name });
    this.retries = new BackgroundRetries(this.log, options.retry, options.random);
  }

  /**
   * Run the command once for the batch plus the names earlier failed runs did not deliver; ok when it
   * exits 0. Rejects only on abort.
   */
  async notify(change: Change, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    if (signal.aborted) throw abortReason(signal);
    if (change.written.length === 0 && change.removed.length === 0) return { ok: true, detail: 'nothing changed' };
    this.retries.supersede(); // safe: this run carries everything still pending
    this.pending.add(change);
    const failure = await this.runPending(signal);
    if (failure === null) return { ok: true };
    this.retries.start(this.options.argv[0]!, async (s) => (await this.runPending(s)) === null);
    return { ok: false, detail: failure };
  }

  /** Run with every pending name; forgets them on success. null on success, else a one-line reason. */
  private async runPending(signal: AbortSignal): Promise<string | null> {
    const batch = this.pending.take();
    const failure = await this.runOnce(batch.change, signal);
    if (failure === null) batch.delivered();
    return failure;
  }

  private async runOnce(change: Change, signal: AbortSignal): Promise<string | null> {
    const env = {
      ...this.options.env,
      MARATHON_ACME_WRITTEN: change.written.join(' '),
      MARATHON_ACME_REMOVED: change.removed.join(' '),
      MARATHON_ACME_CHANGED: [...change.written, ...change.removed].join(' '),
    };
    const r = await runCommand(this.options.argv, {
      env,
      timeoutMs: this.options.timeoutMs ?? 60_000,
      signal,
      ...(this.options.cwd ? { cwd: this.options.cwd } : {}),
    });
    const failure = describeResult(r);
    const fields = {
      command: this.options.argv[0],
      exit_code: r.code,
      signal: r.signal,
      duration_ms: Math.round(r.ms),
      stderr: r.stderr.trim().slice(-1000) || undefined,
    };
    this.options.metrics?.lbSignals.inc({ notifier: this.name, result: failure === null ? 'success' : 'failure' });
    if (failure === null) this.log.info(fields, 'notify command succeeded');
    else this.log.warn({ ...fields, reason: failure }, 'notify command failed');
    return failure;
  }

  pendingRetries(): string[] {
    return this.retries.pending();
  }

  async stop(): Promise<void> {
    await this.retries.stop();
  }
}
