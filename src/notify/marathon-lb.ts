/**
 * marathon-lb: `POST <lb>/_mlb_signal/usr1` makes marathon-lb validate its existing config and reload
 * HAProxy, which re-reads every file of the `crt` directory (marathon-api.md §3.2; behaviour spec §6).
 *
 * Like 0.6.1: all LBs in parallel, empty body, the path replaces any base path, URL userinfo becomes
 * Basic auth, 5 s timeout, the batch succeeds if at least one LB accepted. Success is a 2xx: a redirect
 * is never followed (the credentials would go along to wherever it points) and counts as a failure,
 * since marathon-lb never redirects its signal endpoint. Unlike 0.6.1: ONE signal per batch instead of one per certificate (the caller
 * batches: one `notify()` per pass), and failed LBs are retried in the background with backoff until
 * they answer or a newer batch supersedes (0.6.1 never retried, so an LB that missed a signal kept
 * serving the old certificate until the next issuance).
 */
import type { Change, Notifier } from '../domain/contracts.js';
import { abortReason } from '../lib/abort.js';
import type { BackoffPolicy } from '../lib/backoff.js';
import { AppError, describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { redactUrl, splitUserinfo } from '../lib/urls.js';
import { BackgroundRetries } from './retry.js';

export interface MarathonLbNotifierOptions {
  /** `--marathon-lb` URLs, e.g. `http://user:secret@lb1:9090`. */
  readonly urls: readonly string[];
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Per-request timeout. Default 5000 ms (0.6.1's). */
  readonly timeoutMs?: number;
  /** Backoff of background retries. Default 1 s doubling to 60 s, jitter 0.5. */
  readonly retry?: BackoffPolicy;
  readonly random?: () => number;
}

interface Target {
  /** The URL without userinfo: the only form that reaches logs, details and metrics. */
  readonly display: string;
  readonly endpoint: string;
  readonly authorization?: string;
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const SIGNAL_PATH = '/_mlb_signal/usr1';

export class MarathonLbNotifier implements Notifier {
  readonly name = 'marathon-lb';
  private readonly targets: readonly Target[];
  private readonly log: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly timeoutMs: number;
  private readonly retries: BackgroundRetries;

  /** Throws `INVALID_LB_URL` for a URL that does not parse or is not http(s). */
  constructor(options: MarathonLbNotifierOptions) {
    this.targets = options.urls.map(parseTarget);
    this.log = options.logger.child({ component: 'notify', notifier: this.name });
    this.metrics = options.metrics;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = new BackgroundRetries(this.log, options.retry, options.random);
  }

  /**
   * Signal every LB once for this batch. Resolves ok when at least one answered < 400; the others are
   * retried in the background. A batch with no change signals nothing. Rejects only on abort.
   */
  async notify(change: Change, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    if (signal.aborted) throw abortReason(signal);
    if (change.written.length === 0 && change.removed.length === 0) return { ok: true, detail: 'nothing changed' };
    this.retries.supersede();
    const results = await Promise.all(
      this.targets.map(async (target) => ({ target, outcome: await this.signal(target, signal) })),
    );
    if (signal.aborted) throw abortReason(signal);
    const failed = results.flatMap(({ target, outcome }) => (outcome.ok ? [] : [{ target, reason: outcome.reason }]));
    if (failed.length === 0) return { ok: true };
    for (const { target } of failed)
      this.retries.start(target.display, (s) => this.signal(target, s).then((o) => o.ok));
    this.log.error(
      { failed: failed.length, total: this.targets.length, lbs: failed.map((f) => f.target.display) },
      'marathon-lb instances not signalled',
    );
    const ok = failed.length < this.targets.length;
    const reasons = failed.map((f) => `${f.target.display}: ${f.reason}`).join('; ');
    return {
      ok,
      detail: `${failed.length}/${this.targets.length} marathon-lb instances failed (retrying): ${reasons}`,
    };
  }

  /** One request to one LB; records the metric; never rejects. */
  private async signal(target: Target, outer: AbortSignal): Promise<Outcome> {
    const t0 = performance.now();
    const outcome = await this.request(target, outer);
    const ms = Math.round(performance.now() - t0);
    if (outer.aborted) return { ok: false, reason: 'aborted' };
    this.metrics?.lbSignals.inc({ notifier: this.name, result: outcome.ok ? 'success' : 'failure' });
    if (outcome.ok) this.log.info({ lb: target.display, duration_ms: ms }, 'marathon-lb signalled');
    else this.log.warn({ lb: target.display, duration_ms: ms, reason: outcome.reason }, 'marathon-lb signal failed');
    return outcome;
  }

  private async request(target: Target, outer: AbortSignal): Promise<Outcome> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await fetch(target.endpoint, {
        method: 'POST',
        headers: target.authorization ? { authorization: target.authorization } : {},
        signal: AbortSignal.any([outer, timeout]),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 300 && res.status < 400)
        return { ok: false, reason: `HTTP ${res.status} redirect, not followed (credentials stay here)` };
      return res.status < 300 ? { ok: true } : { ok: false, reason: `HTTP ${res.status}` };
    } catch (err) {
      if (outer.aborted) return { ok: false, reason: 'aborted' };
      if (timeout.aborted) return { ok: false, reason: `timeout after ${this.timeoutMs} ms` };
      const d = describeError(err);
      const cause = describeError((err as { cause?: unknown }).cause ?? err);
      return {
        ok: false,
        reason: d.message === 'fetch failed' ? (cause.code ?? cause.message) : `${d.code ?? ''} ${d.message}`.trim(),
      };
    }
  }

  /** LBs (without credentials) still being retried. */
  pendingRetries(): string[] {
    return this.retries.pending();
  }

  /** Resolves when no background retry is running (tests). */
  retriesSettled(): Promise<void> {
    return this.retries.settled();
  }

  async stop(): Promise<void> {
    await this.retries.stop();
  }
}

/** Split userinfo off a marathon-lb URL: it becomes a Basic auth header and never reaches a log. */
function parseTarget(raw: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // no cause: the URL parser's error carries the raw input, credentials included
    throw new AppError('INVALID_LB_URL', 'marathon-lb URL does not parse', { details: { url: redactUrl(raw) } });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new AppError('INVALID_LB_URL', 'marathon-lb URL must be http or https', {
      details: { protocol: parsed.protocol },
    });
  const { url, authorization } = splitUserinfo(parsed);
  return {
    display: url.origin,
    endpoint: new URL(SIGNAL_PATH, url.origin).toString(),
    ...(authorization ? { authorization } : {}),
  };
}
