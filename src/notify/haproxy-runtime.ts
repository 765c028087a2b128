/**
 * HAProxy ≥ 2.2 without marathon-lb: update certificates in the running HAProxy over its stats socket
 * (level admin), with no reload (test-environment.md, verified on 2.6):
 *
 * - renewed (already in the crt directory's implicit crt-list):
 *   `set ssl cert <file> <<\n<PEM>\n` + `commit ssl cert <file>`;
 * - new: `new ssl cert <file>` + set + commit + `add ssl crt-list <certsDir> <file>`;
 * - removed: `del ssl crt-list <certsDir> <file>` + `del ssl cert <file>`.
 *
 * Runtime changes live in memory only, so the store has already written the file (the next reload
 * reads the same thing). When the runtime API refuses anything, the configured fallback reload
 * (a command, the master CLI `reload`, or SIGUSR2 to the master) makes HAProxy re-read the files.
 * HAProxy allows one certificate transaction at a time, so batches and their background retries are
 * serialised, `set` + `commit` is never cut in the middle by an abort, a failed transaction is
 * aborted (on its own timeout), and a stale one is aborted before a batch.
 * Names a batch failed to deliver are kept and delivered with the next batch (or its retry).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Change, Notifier } from '../domain/contracts.js';
import { abortReason } from '../lib/abort.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { AppError, describeError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { assertSafeName, fileStem } from '../lib/file-names.js';
import { haproxyCommand } from './haproxy-cli.js';
import { BackgroundRetries, PendingNames } from './retry.js';
import { describeResult, runCommand } from './run-command.js';

/** How to make HAProxy re-read its files when the runtime API refuses. */
export type ReloadFallback =
  | { readonly kind: 'command'; readonly argv: readonly string[]; readonly timeoutMs?: number }
  | { readonly kind: 'master-socket'; readonly path: string }
  | { readonly kind: 'signal'; readonly pid: number | (() => number | Promise<number>) };

export interface HaproxyRuntimeNotifierOptions {
  /** Stats socket with `level admin`: a unix path or `host:port`. */
  readonly statsSocket: string;
  /** Where this process reads the bundles (`<storage>/certs`). */
  readonly certsDir: string;
  /**
   * The `crt` directory exactly as on HAProxy's bind line (a trailing slash is ignored, as HAProxy
   * does), when HAProxy sees the directory under another path (another container, another mount).
   * Default: `certsDir`.
   */
  readonly haproxyCertsDir?: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly fallback?: ReloadFallback;
  /** Per CLI command. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: BackoffPolicy;
  readonly random?: () => number;
}

/** The runtime API answered, but not with success. */
class Refused extends AppError {
  constructor(step: string, answer: string) {
    super('HAPROXY_RUNTIME_REFUSED', 'HAProxy runtime API refused the change', {
      details: { step, answer: answer.trim().slice(0, 300) },
    });
  }
}

/** How long the cleanup `abort ssl cert` may take: it must go out even when the batch was aborted. */
const ABORT_TX_TIMEOUT_MS = 2000;

type Result = { readonly ok: boolean; readonly detail?: string };

export class HaproxyRuntimeNotifier implements Notifier {
  readonly name = 'haproxy-runtime';
  /** Local read path of the bundles. */
  private readonly certsDir: string;
  /** HAProxy's name of the crt directory (CLI commands). */
  private readonly crtDir: string;
  private readonly log: Logger;
  private readonly retries: BackgroundRetries;
  /**
   * Names not yet delivered. The runtime API only pushes the names it is given, so a newer batch that
   * supersedes a retry must carry the older batch's undelivered names too.
   */
  private readonly pending = new PendingNames();
  /** Every delivery and retry attempt runs here: HAProxy allows one certificate transaction at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: HaproxyRuntimeNotifierOptions) {
    this.certsDir = options.certsDir.replace(/\/+$/, '');
    this.crtDir = (options.haproxyCertsDir ?? options.certsDir).replace(/\/+$/, '');
    this.log = options.logger.child({ component: 'notify', notifier: this.name });
    this.retries = new BackgroundRetries(this.log, options.retry, options.random);
  }

  /**
   * Apply the batch, plus every name an earlier batch failed to deliver, over the runtime API (the
   * latest event of a name wins); on any refusal, reload through the fallback. ok when every pending
   * change was applied at runtime or the fallback reload succeeded; otherwise the fallback (or the
   * pending changes, without one) is retried in the background. Rejects only on abort.
   */
  notify(change: Change, signal: AbortSignal): Promise<Result> {
    return this.serialised(() => this.deliver(change, signal));
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async deliver(change: Change, signal: AbortSignal): Promise<Result> {
    if (signal.aborted) throw abortReason(signal);
    this.retries.supersede(); // safe: this delivery carries everything still pending
    this.pending.add(change);
    const problems = await this.applyPending(signal);
    if (problems.length === 0) {
      this.count('success');
      return { ok: true };
    }
    const detail = problems.join('; ');
    if (!this.options.fallback) {
      this.count('failure');
      this.retries.start('runtime-api', (s) =>
        this.serialised(async () => {
          if (s.aborted) throw abortReason(s);
          return (await this.applyPending(s)).length === 0;
        }),
      );
      return { ok: false, detail: `runtime API: ${detail}` };
    }
    const reloaded = await this.reloadPending(signal);
    this.count(reloaded === null ? 'fallback' : 'failure');
    if (reloaded === null) return { ok: true, detail: `runtime API: ${detail}; reloaded instead` };
    this.retries.start('reload', (s) =>
      this.serialised(async () => {
        if (s.aborted) throw abortReason(s);
        return (await this.reloadPending(s)) === null;
      }),
    );
    return { ok: false, detail: `runtime API: ${detail}; reload failed: ${reloaded}` };
  }

  /** Apply everything pending; forgets what was applied. Returns one line per problem. */
  private async applyPending(signal: AbortSignal): Promise<string[]> {
    const batch = this.pending.take();
    const { failed, lines } = await this.applyAll(batch.change, signal);
    batch.delivered(failed);
    return lines;
  }

  /** A reload re-reads every file: on success nothing is pending any more. */
  private async reloadPending(signal: AbortSignal): Promise<string | null> {
    const batch = this.pending.take();
    const failure = await this.reload(signal);
    if (failure === null) batch.delivered();
    return failure;
  }

  /** Apply every change; returns the names that failed and one line per problem. Rejects only on abort. */
  private async applyAll(change: Change, signal: AbortSignal): Promise<{ failed: string[]; lines: string[] }> {
    if (change.written.length === 0 && change.removed.length === 0) return { failed: [], lines: [] };
    let entries: Set<string>;
    try {
      await this.abortStaleTransaction(signal);
      entries = await this.crtListEntries(signal);
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw signal.reason ?? err;
      return {
        failed: [...change.written, ...change.removed],
        lines: [`runtime API unusable (show ssl cert / crt-list): ${describeError(err).message}`],
      };
    }
    const failed: string[] = [];
    const lines: string[] = [];
    const steps: Array<[string, () => Promise<void>]> = [
      ...change.written.map((n): [string, () => Promise<void>] => [n, () => this.put(n, entries, signal)]),
      ...change.removed.map((n): [string, () => Promise<void>] => [n, () => this.remove(n, entries, signal)]),
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        if (isAbortError(err) || signal.aborted) throw signal.reason ?? err;
        const d = err instanceof AppError ? refusalText(err) : describeError(err).message;
        this.log.warn(
          { domain: name, err, answer: err instanceof AppError ? err.details.answer : undefined },
          'runtime certificate update refused',
        );
        failed.push(name);
        lines.push(`${name}: ${d}`);
      }
    }
    return { failed, lines };
  }

  /** File names in the crt directory's implicit crt-list (`show ssl crt-list <dir>`). */
  private async crtListEntries(signal: AbortSignal): Promise<Set<string>> {
    const answer = await this.cli(`show ssl crt-list ${this.crtDir}`, signal);
    if (!answer.startsWith(`# ${this.crtDir}`)) throw new Refused('show ssl crt-list', answer);
    return new Set(
      answer
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/)[0]!)
        .filter((l) => l.length > 0),
    );
  }

  /**
   * A certificate transaction still open (`show ssl cert` lists it as `*<file>` under `# transaction`)
   * would make every `set ssl cert` fail: one was left by a client that died mid-update. Every update of
   * ours runs in the queue, so none of ours is in progress now: abort it.
   */
  private async abortStaleTransaction(signal: AbortSignal): Promise<void> {
    const answer = await this.cli('show ssl cert', signal);
    const lines = answer.split('\n');
    const at = lines.findIndex((l) => l.trim() === '# transaction');
    const open = at >= 0 ? lines[at + 1]?.trim() : undefined;
    if (!open?.startsWith('*')) return;
    const file = open.slice(1);
    this.log.warn({ file }, 'aborting a stale HAProxy certificate transaction');
    await this.abortTransaction(file);
  }

  /**
   * `abort ssl cert <file>` with its own short timeout, never the batch's signal: it must go out even
   * when the batch was aborted mid-transaction, or HAProxy's single transaction slot stays taken.
   */
  private async abortTransaction(file: string): Promise<void> {
    await haproxyCommand(this.options.statsSocket, `abort ssl cert ${file}`, { timeoutMs: ABORT_TX_TIMEOUT_MS }).catch(
      (err: unknown) => {
        this.log.warn({ file, err }, 'could not abort the HAProxy certificate transaction');
      },
    );
  }

  /** The bundle's path for this process to read, and its name in HAProxy's CLI. */
  private filesOf(name: string): { readonly local: string; readonly file: string } {
    assertSafeName(name);
    const stem = fileStem(name);
    return { local: join(this.certsDir, `${stem}.pem`), file: join(this.crtDir, `${stem}.pem`) };
  }

  /** Install or replace one certificate from its file. */
  private async put(name: string, entries: Set<string>, signal: AbortSignal): Promise<void> {
    const { local, file } = this.filesOf(name);
    const pem = await readFile(local, 'utf8');
    const isNew = !entries.has(file);
    if (isNew) await this.expect(`new ssl cert ${file}`, /New empty certificate store|already exists/, signal);
    // `set` + `commit` is not interruptible by the batch's signal (only by the per-command timeout): a
    // `set` cut off by an abort may still be processed by HAProxy after a cleanup `abort ssl cert` sent
    // on another connection, leaving the transaction open. An abort takes effect right after.
    const uncut = new AbortController().signal;
    try {
      const set = await this.cli(`set ssl cert ${file}`, uncut, pem);
      if (!/Transaction (created|updated)/.test(set)) throw new Refused('set ssl cert', set);
      await this.expect(`commit ssl cert ${file}`, /Success!/, uncut);
    } catch (err) {
      // the transaction may be open (set accepted, commit refused or timed out): free the slot
      await this.abortTransaction(file);
      throw err;
    }
    if (signal.aborted) throw abortReason(signal);
    if (isNew) await this.expect(`add ssl crt-list ${this.crtDir} ${file}`, /Success!/, signal);
    this.log.info({ domain: name, file, new: isNew }, 'certificate updated at runtime');
  }

  /** Take one certificate out of the running HAProxy (the store has archived the file). */
  private async remove(name: string, entries: Set<string>, signal: AbortSignal): Promise<void> {
    const { file } = this.filesOf(name);
    if (entries.has(file)) await this.expect(`del ssl crt-list ${this.crtDir} ${file}`, /deleted in crtlist/, signal);
    await this.expect(`del ssl cert ${file}`, /deleted!|doesn't exist/, signal);
    this.log.info({ domain: name, file }, 'certificate removed at runtime');
  }

  private async expect(command: string, ok: RegExp, signal: AbortSignal): Promise<void> {
    const answer = await this.cli(command, signal);
    if (!ok.test(answer)) throw new Refused(command.split(' ').slice(0, 3).join(' '), answer);
  }

  private cli(command: string, signal: AbortSignal, payload?: string): Promise<string> {
    return haproxyCommand(this.options.statsSocket, command, {
      signal,
      timeoutMs: this.options.timeoutMs ?? 5000,
      ...(payload !== undefined ? { payload } : {}),
    });
  }

  /** Run the fallback reload; null on success, else the reason. Rejects only on abort. */
  private async reload(signal: AbortSignal): Promise<string | null> {
    const fb = this.options.fallback!;
    try {
      if (fb.kind === 'command') {
        const failure = describeResult(await runCommand(fb.argv, { timeoutMs: fb.timeoutMs ?? 60_000, signal }));
        return failure === null ? this.reloaded(fb.kind) : failure;
      }
      if (fb.kind === 'master-socket') {
        await haproxyCommand(fb.path, 'reload', { signal, timeoutMs: this.options.timeoutMs ?? 5000 });
        return this.reloaded(fb.kind);
      }
      const pid = typeof fb.pid === 'function' ? await fb.pid() : fb.pid;
      process.kill(pid, 'SIGUSR2'); // master-worker mode: USR2 to the master reloads
      return this.reloaded(fb.kind);
    } catch (err) {
      if (signal.aborted) throw abortReason(signal);
      this.log.error({ fallback: fb.kind, err }, 'haproxy fallback reload failed');
      return describeError(err).message;
    }
  }

  private reloaded(kind: string): null {
    this.log.info({ fallback: kind }, 'haproxy reloaded by fallback');
    return null;
  }

  private count(result: 'success' | 'fallback' | 'failure'): void {
    this.options.metrics?.lbSignals.inc({ notifier: this.name, result });
  }

  pendingRetries(): string[] {
    return this.retries.pending();
  }

  /** Names written or removed that HAProxy has not received yet (tests, diagnostics). */
  undelivered(): Change {
    return this.pending.take().change;
  }

  async stop(): Promise<void> {
    await this.retries.stop();
  }
}

/** "message (first line of HAProxy's answer)" for details and logs. */
function refusalText(err: AppError): string {
  const answer = typeof err.details.answer === 'string' ? ` (${err.details.answer.split('\n')[0]})` : '';
  return `${err.message}${answer}`;
}
