/**
 * `MarathonSource`: Marathon → full snapshots of desired certificates.
 *
 * Events only mean "something changed" (ARCHITECTURE.md "The one-way flow"): the source re-lists
 * `/v2/apps` and translates the whole list app by app as it streams in (`SnapshotBuilder`). It re-lists
 * - after every (re)connect of the event stream (events missed while disconnected are lost:
 *   Marathon has no replay, reference/marathon-api.md §2.2),
 * - on every relevant event: `api_post_event`, `deployment_success`, `app_terminated_event`,
 *   `group_change_success` (`api_post_event` does not fire for deletes or group changes, §2.3),
 * - every `resyncIntervalMs` (safety net; 0.6.1 had none, §3.6), and on `resync()`,
 * - after each failed attempt to open the stream (so a broken stream still yields snapshots and
 *   reports read errors, at the reconnect pace).
 * `event_stream_attached` is subscribed to (0.6.1 did) but never triggers a re-list by itself:
 * Marathon broadcasts every client's attach to every stream, and our connect already re-lists.
 *
 * Re-lists are coalesced: one at a time; a request while one runs marks the state dirty; a dirty
 * state re-lists `debounceMs` after the request and never sooner than `minSyncIntervalMs` after the
 * previous start. A storm of 1000 events within a second therefore causes at most 2 re-lists.
 *
 * The stream reconnects with jittered exponential backoff (first delay < 1 s, cap 30 s), reset after
 * the stream stayed up for `healthyAfterMs`; silence longer than `sseTimeoutMs` (keep-alives count)
 * aborts and reconnects; a stream that did not stay healthy rotates to the next Marathon URL.
 */
import type { Source, SourceHandlers, SourceStatus } from '../../domain/contracts.js';
import type { Problem, Snapshot } from '../../domain/types.js';
import { SnapshotBuilder } from '../../domain/labels.js';
import { AppError, describeError, isAbortError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.js';
import { sleep } from '../../lib/abort.js';
import { MarathonClient } from './client.js';
import { SseLineTooLongError, SseParser } from './sse.js';
import { consume } from './consume.js';

/** Event types requested with `event_type` (sorted on the wire, like 0.6.1). */
export const EVENT_TYPES = [
  'api_post_event',
  'app_terminated_event',
  'deployment_success',
  'event_stream_attached',
  'group_change_success',
] as const;
/** Every subscribed type but `event_stream_attached` triggers a re-list (see above). */
const SYNC_EVENTS: ReadonlySet<string> = new Set(EVENT_TYPES.filter((t) => t !== 'event_stream_attached'));

export interface MarathonSourceOptions {
  /** `--marathon`: base URLs (a comma-separated string is split too); `user:pass@` → Basic auth. */
  readonly urls: string | readonly string[];
  /** `--group` (default `external`). */
  readonly group?: string;
  /** `--allow-multiple-certs`. */
  readonly allowMultipleCerts?: boolean;
  /** Default SAN mode (`MARATHON_ACME_{n}_SAN` overrides per port). */
  readonly san?: boolean;
  /** `--allowed-domains` suffixes. */
  readonly allowedDomains?: readonly string[];
  /** `--marathon-timeout` in ms (response headers; 0 disables). Default: MarathonClient's (10 s). */
  readonly timeoutMs?: number;
  /** `--sse-timeout` in ms (silence on the stream; 0 disables). Default 60 000. */
  readonly sseTimeoutMs?: number;
  /** `--resync-interval` in ms (0 disables). Default 300 000. */
  readonly resyncIntervalMs?: number;
  /** DC/OS token (`Authorization: token=...`). */
  readonly token?: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Coalescing: delay after a change event before re-listing. Default 250 ms. */
  readonly debounceMs?: number;
  /** Coalescing: minimum time between the starts of two re-lists. Default 1000 ms. */
  readonly minSyncIntervalMs?: number;
  /** Reconnect backoff (default base 500 ms, cap 30 s, factor 2, jitter 0.5). */
  readonly reconnectBackoff?: BackoffPolicy;
  /** A stream up this long resets the reconnect backoff and counts as healthy. Default 30 000 ms. */
  readonly healthyAfterMs?: number;
  /** Backoff for failed re-lists (default base 1 s, cap 30 s). */
  readonly syncBackoff?: BackoffPolicy;
  /** Maximum SSE line length in bytes. Default: SseParser's (16 MiB). */
  readonly maxLineLength?: number;
  /** Randomness for jitter (tests). */
  readonly random?: () => number;
}

type StreamState = 'connected' | 'connecting' | 'disconnected';

export class MarathonSource implements Source {
  readonly name = 'marathon';
  readonly client: MarathonClient;
  private readonly log: Logger;
  private readonly o: Required<
    Omit<
      MarathonSourceOptions,
      'allowedDomains' | 'token' | 'metrics' | 'urls' | 'logger' | 'timeoutMs' | 'maxLineLength'
    >
  > & {
    readonly allowedDomains?: readonly string[];
    readonly maxLineLength: number | undefined;
  };
  private readonly metrics: Metrics | undefined;

  private streamState: StreamState = 'disconnected';
  private lastSnapshotAt: Date | undefined;
  private lastError: { code: string; message: string; at: Date } | undefined;
  private lastProblemKeys = new Set<string>();

  // Sync scheduling (valid while running).
  private handlers: SourceHandlers | undefined;
  private signal: AbortSignal | undefined;
  private dirty = false;
  private syncing = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncTimerAt = 0;
  private lastSyncStart = -Infinity;
  private syncFailures = 0;
  /** While `syncFailures > 0`: no re-list starts before this time (last failure + backoff delay). */
  private retryNotBefore = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  private syncDone: Promise<void> = Promise.resolve();

  constructor(opts: MarathonSourceOptions) {
    this.log = opts.logger.child({ component: 'marathon' });
    this.metrics = opts.metrics;
    this.client = new MarathonClient({
      urls: opts.urls,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.token !== undefined ? { token: opts.token } : {}),
      logger: this.log,
    });
    this.o = {
      group: opts.group ?? 'external',
      allowMultipleCerts: opts.allowMultipleCerts ?? false,
      san: opts.san ?? false,
      ...(opts.allowedDomains !== undefined ? { allowedDomains: opts.allowedDomains } : {}),
      sseTimeoutMs: opts.sseTimeoutMs ?? 60_000,
      resyncIntervalMs: opts.resyncIntervalMs ?? 300_000,
      debounceMs: opts.debounceMs ?? 250,
      minSyncIntervalMs: opts.minSyncIntervalMs ?? 1000,
      reconnectBackoff: opts.reconnectBackoff ?? { baseMs: 500, capMs: 30_000, factor: 2, jitter: 0.5 },
      healthyAfterMs: opts.healthyAfterMs ?? 30_000,
      syncBackoff: opts.syncBackoff ?? { baseMs: 1000, capMs: 30_000, factor: 2, jitter: 0.5 },
      maxLineLength: opts.maxLineLength,
      random: opts.random ?? Math.random,
    };
  }

  /**
   * See `Source.run`: resolves after `signal` aborts; never rejects for anything Marathon or the
   * handlers do. The one exception is a programming error, not a runtime condition: calling `run`
   * again while a previous run is still active rejects at once with AppError SOURCE_RUNNING (two runs
   * would share the scheduling state); the running one is unaffected.
   */
  async run(signal: AbortSignal, handlers: SourceHandlers): Promise<void> {
    if (this.signal !== undefined && !this.signal.aborted)
      throw new AppError('SOURCE_RUNNING', 'MarathonSource is already running');
    this.signal = signal;
    this.handlers = handlers;
    this.dirty = false;
    this.log.info(
      { urls: this.client.endpoints.map((e) => e.display), group: this.o.group },
      'marathon source starting',
    );
    this.armResync();
    try {
      await this.streamLoop(signal);
    } finally {
      clearTimeout(this.syncTimer);
      clearTimeout(this.resyncTimer);
      this.syncTimer = undefined;
      this.resyncTimer = undefined;
      await this.syncDone.catch(() => undefined);
      this.setStream('disconnected');
      this.handlers = undefined;
      this.log.info({}, 'marathon source stopped');
    }
  }

  /** See `Source.resync`: coalesced; runs as soon as the minimum interval allows. */
  resync(): void {
    this.requestSync('resync', 0);
  }

  status(): SourceStatus {
    return {
      ...(this.lastSnapshotAt ? { lastSnapshotAt: this.lastSnapshotAt } : {}),
      stream: this.streamState,
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  // ---------------------------------------------------------------- event stream

  private async streamLoop(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      let upSince: number | undefined;
      this.setStream('connecting');
      try {
        const stream = await this.client.openEvents(EVENT_TYPES, signal);
        upSince = Date.now();
        this.setStream('connected');
        this.log.info({ url: stream.url }, 'Listening for events from Marathon');
        this.requestSync('connect', 0);
        const reason = await this.pump(stream.response, signal);
        if (signal.aborted) break;
        this.log.warn({ url: stream.url, reason }, 'event stream ended, reconnecting');
      } catch (err) {
        if (signal.aborted || isAbortError(err)) break;
        this.recordError(err);
        this.log.warn({ err }, 'event stream failed, reconnecting');
        // Only opening the stream throws (pump never rejects). Without a stream, still read (and report
        // failures): degraded mode polls at the reconnect pace (and the sync backoff while failing).
        this.requestSync('stream-unavailable', 0);
      }
      this.setStream('disconnected');
      const upFor = upSince === undefined ? 0 : Date.now() - upSince;
      if (upFor >= this.o.healthyAfterMs) attempt = 0;
      else if (upSince !== undefined) this.client.rotate();
      attempt++;
      const delay = backoffDelay(this.o.reconnectBackoff, attempt, this.o.random());
      this.log.info({ retry_in: delay, attempt }, 'event stream reconnect scheduled');
      try {
        await sleep(delay, signal);
      } catch {
        break;
      }
    }
  }

  /**
   * Read one stream until it ends. Resolves with a reason word; silence and over-long lines destroy
   * the response. Never rejects (errors become the reason and are recorded for status()).
   */
  private async pump(res: import('node:http').IncomingMessage, signal: AbortSignal): Promise<string> {
    const parser = new SseParser((type, data) => this.onEvent(type, data), this.o.maxLineLength);
    const end = await consume(res, { idleMs: this.o.sseTimeoutMs, signal, onChunk: (chunk) => parser.feed(chunk) });
    res.destroy();
    switch (end.kind) {
      case 'end':
      case 'closed':
        return 'closed';
      case 'aborted':
        return 'aborted';
      case 'idle':
        this.log.warn({ timeout_ms: this.o.sseTimeoutMs }, 'SSE connection timed out');
        this.recordError(new AppError('SSE_TIMEOUT', 'no data on the event stream within the SSE timeout'));
        return 'timeout';
      case 'error':
        this.recordError(new AppError('SSE_STREAM_ERROR', 'event stream connection failed', { cause: end.error }));
        return 'error';
      case 'thrown': {
        const err = end.error;
        if (err instanceof SseLineTooLongError) {
          this.log.error({ length: err.length, max: err.max }, 'SSE maximum line length exceeded');
          this.recordError(new AppError('SSE_LINE_TOO_LONG', err.message, { cause: err }));
          return 'line-too-long';
        }
        // Not expected (the parser and onEvent are total), so never silent: logged and in status().
        this.log.error({ err }, 'reading the event stream failed, reconnecting');
        this.recordError(err);
        return 'parser-error';
      }
    }
  }

  private onEvent(type: string, data: string): void {
    if (type === 'event_stream_attached') {
      this.log.debug({ event: type }, 'event stream attach seen');
      return;
    }
    if (!SYNC_EVENTS.has(type)) return; // older Marathons ignore event_type: filter here too
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ event: type, ...eventFields(data) }, 'marathon event received, re-listing apps');
    }
    this.requestSync(type, this.o.debounceMs);
  }

  private setStream(state: StreamState): void {
    this.streamState = state;
    this.metrics?.eventStreamConnected.set(state === 'connected' ? 1 : 0);
  }

  // ---------------------------------------------------------------- sync scheduling

  /**
   * Mark dirty and schedule a re-list `delayMs` from now, respecting the minimum interval and, after a
   * failed re-list, the retry backoff (events, reconnects and `resync()` never re-list sooner).
   */
  private requestSync(reason: string, delayMs: number): void {
    if (this.handlers === undefined || this.signal?.aborted) return;
    this.dirty = true;
    if (this.syncing) return; // the running sync reschedules when it ends
    this.schedule(delayMs, reason);
  }

  private schedule(delayMs: number, reason: string): void {
    const now = Date.now();
    let at = Math.max(now + delayMs, this.lastSyncStart + this.o.minSyncIntervalMs);
    // A failing Marathon (503 when overloaded) is retried at the backoff pace, whatever asks for a sync.
    if (this.syncFailures > 0) at = Math.max(at, this.retryNotBefore);
    if (this.syncTimer !== undefined) {
      if (this.syncTimerAt <= at) return; // an earlier run is already planned
      clearTimeout(this.syncTimer);
    }
    this.syncTimerAt = at;
    this.syncTimer = setTimeout(
      () => {
        this.syncTimer = undefined;
        this.syncDone = this.runSync(reason);
      },
      Math.max(0, at - now),
    );
  }

  private async runSync(reason: string): Promise<void> {
    const signal = this.signal;
    const handlers = this.handlers;
    if (signal === undefined || handlers === undefined || signal.aborted) return;
    this.syncing = true;
    this.dirty = false;
    this.lastSyncStart = Date.now();
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      // Apps are translated as they stream in; the builder is dropped if the reading fails.
      const builder = new SnapshotBuilder(this.o);
      const appCount = await this.client.streamApps((app) => builder.addApp(app), signal);
      const snapshot = builder.build();
      ok = true;
      this.syncFailures = 0;
      this.observe(started, 'success');
      this.lastSnapshotAt = new Date();
      this.reportProblems(snapshot.problems);
      this.log.info(
        { reason, apps: appCount, certificates: snapshot.specs.length, problems: snapshot.problems.length },
        'marathon snapshot read',
      );
      safeCall(() => handlers.onSnapshot(snapshot), this.log);
    } catch (err) {
      if (signal.aborted || isAbortError(err)) return;
      this.observe(started, 'failure');
      this.syncFailures++;
      this.recordError(err);
      this.log.error({ reason, err, attempt: this.syncFailures }, 'Sync failed');
      safeCall(() => handlers.onError(err), this.log);
    } finally {
      this.syncing = false;
    }
    if (signal.aborted) return;
    if (!ok) {
      this.dirty = true;
      const delay = backoffDelay(this.o.syncBackoff, this.syncFailures, this.o.random());
      this.retryNotBefore = Date.now() + delay;
      this.schedule(delay, 'retry');
    } else if (this.dirty) {
      this.schedule(this.o.debounceMs, 'coalesced');
    }
    this.armResync();
  }

  private armResync(): void {
    clearTimeout(this.resyncTimer);
    if (this.o.resyncIntervalMs <= 0) return;
    this.resyncTimer = setTimeout(() => this.requestSync('periodic', 0), this.o.resyncIntervalMs);
  }

  private observe(started: bigint, result: 'success' | 'failure'): void {
    if (this.metrics === undefined) return;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.marathonSnapshotDuration.observe({ result }, seconds);
    this.metrics.marathonSnapshots.inc({ result });
  }

  /** Log each problem once per change (new ones at warn, resolved ones at info). */
  private reportProblems(problems: readonly Problem[]): void {
    const keys = new Set<string>();
    for (const p of problems) {
      const key = `${p.code}\u0000${p.appId ?? ''}\u0000${p.portIndex ?? ''}\u0000${p.label ?? ''}\u0000${p.value ?? ''}`;
      keys.add(key);
      if (!this.lastProblemKeys.has(key)) {
        this.log.warn(
          { app_id: p.appId, port_index: p.portIndex, label: p.label, value: p.value, code: p.code, reason: p.reason },
          'label problem',
        );
      }
    }
    for (const key of this.lastProblemKeys) {
      if (!keys.has(key)) {
        const [code, appId] = key.split('\u0000');
        this.log.info({ code, app_id: appId }, 'label problem resolved');
      }
    }
    this.lastProblemKeys = keys;
    // The label_problems gauge is set by the reconciler from the merged snapshot of every source.
  }

  private recordError(err: unknown): void {
    const d = describeError(err);
    this.lastError = { code: d.code ?? 'ERROR', message: d.message, at: new Date() };
  }
}

function safeCall(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'snapshot handler threw');
  }
}

/** Fields of an event worth a debug line (0.6.1 logged timestamp and uri). Never throws. */
function eventFields(data: string): Record<string, unknown> {
  try {
    const e = JSON.parse(data) as Record<string, unknown>;
    return { timestamp: e['timestamp'], uri: e['uri'], app_id: e['appId'] };
  } catch {
    return {};
  }
}

export type { Snapshot };
