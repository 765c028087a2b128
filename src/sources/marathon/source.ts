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
 * Re-lists are coalesced and retried by `SyncScheduler` (sync.ts): one at a time; an event after quiet
 * re-lists at once (leading edge); a request while one runs marks the state dirty, and a dirty state
 * re-lists `debounceMs` after that re-list ends, never sooner than `minSyncIntervalMs` after the
 * previous start, nor before the backoff after a failed re-list. A storm of 1000 events within a second
 * therefore causes at most 2 re-lists.
 *
 * Hostile or broken Marathons cost bounded memory and time: SSE lines and events are capped (sse.ts),
 * a `/v2/apps` body has a size cap, an idle timeout and a deadline for the whole body, an oversized app
 * is skipped as an APP_TOO_LARGE problem (client.ts, apps-stream.ts).
 *
 * Logs: one line per failed read (`Sync failed`, with the cause) and one per lost or failed stream.
 *
 * The stream reconnects with jittered exponential backoff (first delay < 1 s, cap 30 s), reset after
 * the stream stayed up for `healthyAfterMs`; silence longer than `sseTimeoutMs` (keep-alives count)
 * aborts and reconnects; a stream that did not stay healthy rotates to the next Marathon URL.
 */
import type { Source, SourceHandlers, SourceStatus } from '../../domain/contracts.js';
import type { Snapshot } from '../../domain/types.js';
import { AppError, describeError, isAbortError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.js';
import { sleep } from '../../lib/abort.js';
import { MarathonClient } from './client.js';
import { SseEventTooLargeError, SseLineTooLongError, SseParser } from './sse.js';
import { consume } from './consume.js';
import { eventFields, ProblemLog, safeCall } from './report.js';
import { SyncScheduler } from './sync.js';
import { type LabelOptions, SnapshotBuilder } from './translate.js';

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

/**
 * Internal tuning (not flags): after a re-list during which change events arrived, wait this long
 * (and at least MIN_SYNC_INTERVAL_MS after its start) before the re-list that covers them. An event
 * after quiet re-lists at once (leading edge).
 */
export const DEBOUNCE_MS = 250;
/** Minimum time between the starts of two re-lists. */
export const MIN_SYNC_INTERVAL_MS = 1000;
/** Event stream reconnects: first delay under 1 s, cap 30 s. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000, factor: 2, jitter: 0.5 };
/** A stream up this long resets the reconnect backoff and counts as healthy. */
export const HEALTHY_AFTER_MS = 30_000;
/** Retries of a failed re-list. */
export const SYNC_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * The flag-backed options are required: their defaults live in config/config.ts only. The tuning
 * options are for tests and default to the constants above.
 */
export interface MarathonSourceOptions extends LabelOptions {
  /** `--marathon`: base URLs (a comma-separated string is split too); `user:pass@` → Basic auth. */
  readonly urls: string | readonly string[];
  /** `--marathon-timeout` in ms (response headers; 0 disables). */
  readonly timeoutMs: number;
  /** `--sse-timeout` in ms (silence on the stream; 0 disables). */
  readonly sseTimeoutMs: number;
  /** `--resync-interval` in ms (0 disables). */
  readonly resyncIntervalMs: number;
  /** DC/OS token (`Authorization: token=...`). */
  readonly token?: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Default {@link DEBOUNCE_MS}. */
  readonly debounceMs?: number;
  /** Default {@link MIN_SYNC_INTERVAL_MS}. */
  readonly minSyncIntervalMs?: number;
  /** Default {@link RECONNECT_BACKOFF}. */
  readonly reconnectBackoff?: BackoffPolicy;
  /** Default {@link HEALTHY_AFTER_MS}. */
  readonly healthyAfterMs?: number;
  /** Default {@link SYNC_BACKOFF}. */
  readonly syncBackoff?: BackoffPolicy;
  /** Maximum SSE line length in bytes. Default: SseParser's (16 MiB). */
  readonly maxLineLength?: number;
  /** Maximum data bytes of one SSE event. Default: SseParser's (16 MiB). */
  readonly maxEventBytes?: number;
  /** Largest app definition read (bytes); larger apps are skipped as APP_TOO_LARGE. Default: the client's. */
  readonly maxAppBytes?: number;
  /** Longest time for a whole `/v2/apps` body (ms). Default: the client's. */
  readonly bodyTimeoutMs?: number;
  /** Randomness for jitter (tests). */
  readonly random?: () => number;
}

type StreamState = 'connected' | 'connecting' | 'disconnected';
/** How one event stream ended, for the one log line about it. */
interface StreamEnd {
  readonly reason: string;
  readonly err?: unknown;
  readonly url?: string;
}

export class MarathonSource implements Source {
  readonly name = 'marathon';
  readonly client: MarathonClient;
  private readonly log: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly labels: LabelOptions;
  private readonly sseTimeoutMs: number;
  private readonly debounceMs: number;
  private readonly reconnectBackoff: BackoffPolicy;
  private readonly healthyAfterMs: number;
  private readonly sseLimits: { maxLineLength?: number; maxEventBytes?: number };
  private readonly random: () => number;
  private readonly sync: SyncScheduler;

  private streamState: StreamState = 'disconnected';
  private lastSnapshotAt: Date | undefined;
  private lastError: { code: string; message: string; at: Date } | undefined;
  private readonly problemLog: ProblemLog;

  // Valid while running.
  private handlers: SourceHandlers | undefined;
  private signal: AbortSignal | undefined;

  constructor(opts: MarathonSourceOptions) {
    this.log = opts.logger.child({ component: 'marathon' });
    this.metrics = opts.metrics;
    this.problemLog = new ProblemLog(this.log);
    this.client = new MarathonClient({
      urls: opts.urls,
      timeoutMs: opts.timeoutMs,
      token: opts.token,
      logger: this.log,
      ...(opts.maxAppBytes !== undefined ? { maxAppBytes: opts.maxAppBytes } : {}),
      ...(opts.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: opts.bodyTimeoutMs } : {}),
    });
    this.labels = {
      group: opts.group,
      allowMultipleCerts: opts.allowMultipleCerts,
      san: opts.san,
      allowedDomains: opts.allowedDomains,
      allowWildcard: opts.allowWildcard === true,
    };
    this.sseTimeoutMs = opts.sseTimeoutMs;
    this.debounceMs = opts.debounceMs ?? DEBOUNCE_MS;
    this.reconnectBackoff = opts.reconnectBackoff ?? RECONNECT_BACKOFF;
    this.healthyAfterMs = opts.healthyAfterMs ?? HEALTHY_AFTER_MS;
    this.sseLimits = {
      ...(opts.maxLineLength !== undefined ? { maxLineLength: opts.maxLineLength } : {}),
      ...(opts.maxEventBytes !== undefined ? { maxEventBytes: opts.maxEventBytes } : {}),
    };
    this.random = opts.random ?? Math.random;
    this.sync = new SyncScheduler({
      debounceMs: this.debounceMs,
      minSyncIntervalMs: opts.minSyncIntervalMs ?? MIN_SYNC_INTERVAL_MS,
      resyncIntervalMs: opts.resyncIntervalMs,
      backoff: opts.syncBackoff ?? SYNC_BACKOFF,
      random: this.random,
      relist: (reason, attempt, signal) => this.relist(reason, attempt, signal),
    });
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
    this.log.info(
      { urls: this.client.endpoints.map((e) => e.display), group: this.labels.group },
      'marathon source starting',
    );
    this.sync.start(signal);
    try {
      await this.streamLoop(signal);
    } finally {
      await this.sync.stop();
      this.setStream('disconnected');
      this.handlers = undefined;
      this.log.info({}, 'marathon source stopped');
    }
  }

  /** See `Source.resync`: coalesced; runs as soon as the minimum interval (and a retry backoff) allows. */
  resync(): void {
    this.sync.request('resync', 0);
  }

  status(): SourceStatus {
    return {
      ...(this.lastSnapshotAt ? { lastSnapshotAt: this.lastSnapshotAt } : {}),
      stream: this.streamState,
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  // ---------------------------------------------------------------- event stream

  /**
   * Reconnects until `signal` fires. Not `retry`: this loop never succeeds, its backoff restarts after
   * a healthy stream, and a stream that did not stay healthy rotates to the next Marathon URL.
   * Each lost or failed stream is ONE log line, with its cause and the reconnect delay.
   */
  private async streamLoop(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      let upSince: number | undefined;
      let ended: StreamEnd;
      this.setStream('connecting');
      try {
        const stream = await this.client.openEvents(EVENT_TYPES, signal);
        upSince = Date.now();
        this.setStream('connected');
        this.log.info({ url: stream.url }, 'Listening for events from Marathon');
        this.sync.request('connect', 0);
        ended = { ...(await this.pump(stream.response, signal)), url: stream.url };
      } catch (err) {
        if (signal.aborted || isAbortError(err)) break;
        this.recordError(err);
        // Only opening the stream throws (pump never rejects). Without a stream, still read (and report
        // failures): degraded mode polls at the reconnect pace (and the sync backoff while failing).
        this.sync.request('stream-unavailable', 0);
        ended = { reason: 'failed', err };
      }
      if (signal.aborted) break;
      this.setStream('disconnected');
      const upFor = upSince === undefined ? 0 : Date.now() - upSince;
      if (upFor >= this.healthyAfterMs) attempt = 0;
      else if (upSince !== undefined) this.client.rotate();
      attempt++;
      const delay = backoffDelay(this.reconnectBackoff, attempt, this.random());
      this.log.warn(
        { ...ended, retry_in: Math.round(delay) / 1000, attempt },
        upSince === undefined ? 'event stream failed, reconnecting' : 'event stream ended, reconnecting',
      );
      try {
        await sleep(delay, signal);
      } catch {
        break;
      }
    }
  }

  /**
   * Read one stream until it ends. Resolves with a reason word (and the error, if any); silence,
   * over-long lines and over-large events destroy the response. Never rejects (errors are recorded
   * for status()).
   */
  private async pump(res: import('node:http').IncomingMessage, signal: AbortSignal): Promise<StreamEnd> {
    const parser = new SseParser((type, data, truncated) => this.onEvent(type, data, truncated), this.sseLimits);
    const end = await consume(res, { idleMs: this.sseTimeoutMs, signal, onChunk: (chunk) => parser.feed(chunk) });
    res.destroy();
    switch (end.kind) {
      case 'end':
      case 'closed':
        return { reason: 'closed' };
      case 'aborted':
        return { reason: 'aborted' };
      case 'idle': {
        const err = new AppError('SSE_TIMEOUT', 'no data on the event stream within the SSE timeout', {
          details: { timeout_ms: this.sseTimeoutMs },
        });
        this.recordError(err);
        return { reason: 'timeout', err };
      }
      case 'error': {
        const err = new AppError('SSE_STREAM_ERROR', 'event stream connection failed', { cause: end.error });
        this.recordError(err);
        return { reason: 'error', err };
      }
      case 'thrown':
        return this.parserFailure(end.error);
    }
  }

  /** What the parser (or `onEvent`) threw, as the end of the stream. */
  private parserFailure(thrown: unknown): StreamEnd {
    let err: unknown = thrown;
    let reason = 'parser-error';
    if (thrown instanceof SseLineTooLongError) {
      err = new AppError('SSE_LINE_TOO_LONG', thrown.message, { cause: thrown });
      reason = 'line-too-long';
    } else if (thrown instanceof SseEventTooLargeError) {
      err = new AppError('SSE_EVENT_TOO_LARGE', thrown.message, { cause: thrown });
      reason = 'event-too-large';
    }
    // Anything else is not expected (the parser and onEvent are total), so never silent either.
    this.recordError(err);
    return { reason, err };
  }

  /** A change event re-lists at once after quiet (leading edge); the scheduler coalesces the rest. */
  private onEvent(type: string, data: string, truncated: boolean): void {
    if (type === 'event_stream_attached') {
      this.log.debug({ event: type }, 'event stream attach seen');
      return;
    }
    if (!SYNC_EVENTS.has(type)) return; // older Marathons ignore event_type: filter here too
    if (this.log.isLevelEnabled('debug')) {
      const fields = truncated ? { truncated } : eventFields(data);
      this.log.debug({ event: type, ...fields }, 'marathon event received, re-listing apps');
    }
    this.sync.request(type, 0);
  }

  private setStream(state: StreamState): void {
    this.streamState = state;
    this.metrics?.eventStreamConnected.set(state === 'connected' ? 1 : 0);
  }

  // ---------------------------------------------------------------- re-list

  /**
   * One reading of `/v2/apps`, translated app by app as it streams in, delivered as a snapshot. A failed
   * reading is reported (status, metrics, log, `onError`) and rejects, so that SyncScheduler retries it;
   * the builder is dropped then: never a partial snapshot.
   */
  private async relist(reason: string, attempt: number, signal: AbortSignal): Promise<void> {
    const handlers = this.handlers;
    if (handlers === undefined) return;
    const started = process.hrtime.bigint();
    const builder = new SnapshotBuilder(this.labels);
    let appCount: number;
    try {
      appCount = await this.client.streamApps(
        (app) => builder.addApp(app),
        signal,
        (id, bytes, max) => builder.addOversized(id, bytes, max),
      );
    } catch (err) {
      if (signal.aborted || isAbortError(err)) throw err;
      this.observe(started, 'failure');
      this.recordError(err);
      this.log.error({ reason, err, attempt }, 'Sync failed');
      safeCall(() => handlers.onError(err), this.log);
      throw err;
    }
    const snapshot = builder.build();
    this.observe(started, 'success');
    this.lastSnapshotAt = new Date();
    this.problemLog.report(snapshot.problems);
    this.log.info(
      { reason, apps: appCount, certificates: snapshot.specs.length, problems: snapshot.problems.length },
      'marathon snapshot read',
    );
    safeCall(() => handlers.onSnapshot(snapshot), this.log);
  }

  private observe(started: bigint, result: 'success' | 'failure'): void {
    if (this.metrics === undefined) return;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.marathonSnapshotDuration.observe({ result }, seconds);
    this.metrics.marathonSnapshots.inc({ result });
  }

  private recordError(err: unknown): void {
    const d = describeError(err);
    this.lastError = { code: d.code ?? 'ERROR', message: d.message, at: new Date() };
  }
}

export type { Snapshot };
