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
 * HAProxy allows one certificate transaction at a time, so batches are serialised and a failed
 * transaction is aborted.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Change, Notifier } from '../domain/contracts.js';
import { abortReason } from '../lib/abort.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { AppError, describeError, isAbortError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { assertSafeName } from '../lib/file-names.js';
import { haproxyCommand } from './haproxy-cli.js';
import { BackgroundRetries } from './retry.js';
import { runCommand } from './run-command.js';

/** How to make HAProxy re-read its files when the runtime API refuses. */
export type ReloadFallback =
  | { readonly kind: 'command'; readonly argv: readonly string[]; readonly timeoutMs?: number }
  | { readonly kind: 'master-socket'; readonly path: string }
  | { readonly kind: 'signal'; readonly pid: number | (() => number | Promise<number>) };

export interface HaproxyRuntimeNotifierOptions {
  /** Stats socket with `level admin`: a unix path or `host:port`. */
  readonly statsSocket: string;
  /** The `crt` directory exactly as on the bind line (a trailing slash is ignored, as HAProxy does). */
  readonly certsDir: string;
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
    super('HAPROXY_RUNTIME_REFUSED', 'HAProxy runtime API refused the change', { details: { step, answer: answer.trim().slice(0, 300) } });
  }
}

export class HaproxyRuntimeNotifier implements Notifier {
  readonly name = 'haproxy-runtime';
  private readonly certsDir: string;
  private readonly log: Logger;
  private readonly retries: BackgroundRetries;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: HaproxyRuntimeNotifierOptions) {
    this.certsDir = options.certsDir.replace(/\/+$/, '');
    this.log = options.logger.child({ component: 'notify', notifier: this.name });
    this.retries = new BackgroundRetries(this.log, options.retry, options.random);
  }

  /**
   * Apply the batch over the runtime API; on any refusal, reload through the fallback. ok when every
   * change was applied at runtime or the fallback reload succeeded; otherwise the fallback (or the
   * whole batch, without one) is retried in the background. Rejects only on abort.
   */
  notify(change: Change, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    const run = this.queue.then(() => this.deliver(change, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async deliver(change: Change, signal: AbortSignal): Promise<{ ok: boolean; detail?: string }> {
    if (signal.aborted) throw abortReason(signal);
    this.retries.supersede();
    const problems = await this.applyAll(change, signal);
    if (problems.length === 0) {
      this.count('success');
      return { ok: true };
    }
    const detail = problems.join('; ');
    if (!this.options.fallback) {
      this.count('failure');
      this.retries.start('runtime-api', async (s) => (await this.applyAll(change, s)).length === 0);
      return { ok: false, detail: `runtime API: ${detail}` };
    }
    const reloaded = await this.reload(signal);
    this.count(reloaded === null ? 'fallback' : 'failure');
    if (reloaded === null) return { ok: true, detail: `runtime API: ${detail}; reloaded instead` };
    this.retries.start('reload', async (s) => (await this.reload(s)) === null);
    return { ok: false, detail: `runtime API: ${detail}; reload failed: ${reloaded}` };
  }

  /** Apply every change; returns one line per name that failed. Rejects only on abort. */
  private async applyAll(change: Change, signal: AbortSignal): Promise<string[]> {
    const problems: string[] = [];
    let entries: Set<string>;
    try {
      entries = await this.crtListEntries(signal);
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw signal.reason ?? err;
      return [`crt-list unreadable: ${describeError(err).message}`];
    }
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
        this.log.warn({ domain: name, err, answer: err instanceof AppError ? err.details.answer : undefined }, 'runtime certificate update refused');
        problems.push(`${name}: ${d}`);
      }
    }
    return problems;
  }

  /** File names in the crt directory's implicit crt-list (`show ssl crt-list <dir>`). */
  private async crtListEntries(signal: AbortSignal): Promise<Set<string>> {
    const answer = await this.cli(`show ssl crt-list ${this.certsDir}`, signal);
    if (!answer.startsWith(`# ${this.certsDir}`)) throw new Refused('show ssl crt-list', answer);
    return new Set(answer.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]!).filter((l) => l.length > 0));
  }

  private fileOf(name: string): string {
    assertSafeName(name);
    return join(this.certsDir, `${name}.pem`);
  }

  /** Install or replace one certificate from its file. */
  private async put(name: string, entries: Set<string>, signal: AbortSignal): Promise<void> {
    const file = this.fileOf(name);
    const pem = await readFile(file, 'utf8');
    const isNew = !entries.has(file);
    if (isNew) await this.expect(`new ssl cert ${file}`, /New empty certificate store|already exists/, signal);
    const set = await this.cli(`set ssl cert ${file}`, signal, pem);
    if (!/Transaction (created|updated)/.test(set)) throw new Refused('set ssl cert', set);
    try {
      await this.expect(`commit ssl cert ${file}`, /Success!/, signal);
    } catch (err) {
      await this.cli(`abort ssl cert ${file}`, signal).catch(() => undefined); // free HAProxy's single transaction slot
      throw err;
    }
    if (isNew) await this.expect(`add ssl crt-list ${this.certsDir} ${file}`, /Success!/, signal);
    this.log.info({ domain: name, file, new: isNew }, 'certificate updated at runtime');
  }

  /** Take one certificate out of the running HAProxy (the store has archived the file). */
  private async remove(name: string, entries: Set<string>, signal: AbortSignal): Promise<void> {
    const file = this.fileOf(name);
    if (entries.has(file)) await this.expect(`del ssl crt-list ${this.certsDir} ${file}`, /deleted in crtlist/, signal);
    await this.expect(`del ssl cert ${file}`, /deleted!|doesn't exist/, signal);
    this.log.info({ domain: name, file }, 'certificate removed at runtime');
  }

  private async expect(command: string, ok: RegExp, signal: AbortSignal): Promise<void> {
    const answer = await this.cli(command, signal);
    if (!ok.test(answer)) throw new Refused(command.split(' ').slice(0, 3).join(' '), answer);
  }

  private cli(command: string, signal: AbortSignal, payload?: string): Promise<string> {
    return haproxyCommand(this.options.statsSocket, command, { signal, timeoutMs: this.options.timeoutMs ?? 5000, ...(payload !== undefined ? { payload } : {}) });
  }

  /** Run the fallback reload; null on success, else the reason. Rejects only on abort. */
  private async reload(signal: AbortSignal): Promise<string | null> {
    const fb = this.options.fallback!;
    try {
      if (fb.kind === 'command') {
        const r = await runCommand(fb.argv, { timeoutMs: fb.timeoutMs ?? 60_000, signal });
        if (r.code === 0) return this.reloaded(fb.kind);
        return r.spawnError ?? (r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-200)}`);
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

  async stop(): Promise<void> {
    await this.retries.stop();
  }
}

/** "message (first line of HAProxy's answer)" for details and logs. */
function refusalText(err: AppError): string {
  const answer = typeof err.details.answer === 'string' ? ` (${err.details.answer.split('\n')[0]})` : '';
  return `${err.message}${answer}`;
}
