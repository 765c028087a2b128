/**
 * Incremental reader of a `GET /v2/apps` body (`{"apps": [ <App>, ... ]}`) that hands each app to a
 * callback as soon as its bytes are complete, so the daemon never holds the whole body nor the whole
 * parsed list (10,000 apps ≈ 15 MB of JSON ≈ 100+ MB of objects; the original's app definition gives
 * it 128 MB). Each element is parsed with `JSON.parse` (native), so values are exactly what a full
 * `JSON.parse` would give.
 *
 * How: a byte scanner tracks strings (with escapes, across chunks) and nesting depth; inside the
 * depth-1 array whose key is `apps`, complete elements (cut at a depth-2 comma) are parsed in batches
 * of about 16 KB; for compact JSON a verified `},{` cut skips most of the scanning (see `shortcut`).
 * Everything else — the "skeleton", e.g. `{"apps":[]}` — is kept and parsed at the end, which
 * validates the structure around the elements. Strictness equals `JSON.parse`'s: an
 * empty element (`[1,]`), a bad element or a bad skeleton is an error. CR/LF/quotes/brackets are ASCII
 * and never occur inside a multi-byte UTF-8 sequence, so scanning bytes is safe.
 *
 * If the `apps` key cannot be recognised while streaming (e.g. written with escapes), the array stays
 * in the skeleton and is taken from there at the end: same result, just not streamed.
 *
 * Bounded work per byte (issue 15: a 16 MB app took 30 CPU-seconds): an element larger than
 * `maxAppBytes` is never held nor parsed — its bytes are only scanned, then it is handed to
 * `onOversized` (with its `id` when Marathon wrote it first, as it does) and the next element is read;
 * the `},{` shortcut is not tried on a long pending element (each try would re-parse all of it), so
 * every byte is parsed at most a bounded number of times.
 */

import { AppError } from '../../lib/errors.js';
import { HEAD_BYTES, headOf, lastCandidate, stringEnd } from './json-scan.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const APPS_KEY = /"apps"\s*:\s*$/;
/** The shortcut is not tried once the pending element is longer than this (see `shortcut`). */
const SHORTCUT_MAX_PENDING = 64 * 1024;
/** Default largest app definition read (bytes). */
export const MAX_APP_BYTES = 4 * 1024 * 1024;
const ID_HINT = /^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.){1,400})"/;

/** Called for an element over the limit: its `id` when visible at its start, and its size in bytes. */
export type OversizedHandler = (idHint: string | undefined, bytes: number, maxBytes: number) => void;

export class AppsStreamParser {
  private depth = 0;
  private inString = false;
  /** The previous byte inside a string was an unescaped backslash (carried across chunks). */
  private escape = false;
  private inApps = false;
  private appsSeen = false;
  /** Bytes of apps-array elements not yet parsed (an element cut by a chunk boundary). */
  private pending: Buffer[] = [];
  /** A comma of the apps array was consumed: the next element must not be empty. */
  private afterComma = false;
  private skeleton: Buffer[] = [];
  private skeletonLength = 0;
  /** Bytes of the current apps element seen in earlier chunks (held in `pending`, or only counted). */
  private elemBytes = 0;
  /** The current element is over `maxAppBytes`: its bytes are counted, not kept. */
  private skipping = false;
  /** The first bytes of a skipped element (for its id). */
  private skipHead: Buffer | undefined;
  /** Number of apps delivered. */
  count = 0;

  private readonly maxSkeletonBytes: number;
  private readonly maxAppBytes: number;
  private readonly onOversized: OversizedHandler;
  private readonly url: string | undefined;

  /**
   * `url` (log-safe) goes into the details of the errors thrown. An element over `maxAppBytes`
   * (default MAX_APP_BYTES) goes to `onOversized` (default: dropped) instead of `onApp`.
   */
  constructor(
    private readonly onApp: (app: unknown) => void,
    opts: { url?: string; maxSkeletonBytes?: number; maxAppBytes?: number; onOversized?: OversizedHandler } = {},
  ) {
    this.maxSkeletonBytes = opts.maxSkeletonBytes ?? 1024 * 1024;
    this.maxAppBytes = opts.maxAppBytes ?? MAX_APP_BYTES;
    this.onOversized = opts.onOversized ?? (() => undefined);
    this.url = opts.url;
  }

  /** A malformed body: AppError MARATHON_BAD_RESPONSE. */
  private bad(message: string, cause?: unknown): AppError {
    return new AppError('MARATHON_BAD_RESPONSE', message, {
      ...(cause !== undefined ? { cause } : {}),
      ...(this.url !== undefined ? { details: { url: this.url } } : {}),
    });
  }

  /**
   * Feed the next chunk. Throws AppError MARATHON_BAD_RESPONSE on malformed input (or what `onApp` throws).
   * Complete elements are parsed in batches as one JSON array each (not one `JSON.parse` per app:
   * fewer native calls and string copies; not one per 64 KB chunk: fewer objects alive at once).
   */
  feed(chunk: Buffer): void {
    let from = 0;
    if (this.inApps && !this.skipping && this.elemBytes <= SHORTCUT_MAX_PENDING) {
      for (;;) {
        const next = this.shortcut(chunk, from);
        if (next === from) break;
        from = next;
      }
    }
    this.scan(chunk, from);
  }

  /**
   * Fast path for Marathon's compact JSON: cut at the last `},{` within about BATCH_BYTES after `from`
   * (else the chunk's last one) and parse everything before it as a batch, without scanning those bytes. Sound because the batch starts at an element
   * start (depth 2, outside strings) and `JSON.parse` accepts `[batch]` only if the cut really is
   * between two elements (a cut inside a string or deeper leaves an unterminated string or
   * unbalanced brackets). When it fails nothing was delivered and the rest is scanned instead.
   * Returns where to continue (`from` when nothing was cut).
   */
  private shortcut(chunk: Buffer, from: number): number {
    const cut = lastCandidate(chunk, from);
    // Every element of a batch must be within the limit: a batch no larger than it guarantees that.
    if (cut < from || this.elemBytes + (cut + 1 - from) > this.maxAppBytes) return from;
    const parts =
      this.pending.length === 0 ? [chunk.subarray(from, cut + 1)] : [...this.pending, chunk.subarray(from, cut + 1)];
    const text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
    let batch: unknown[];
    try {
      batch = JSON.parse(`[${text}]`) as unknown[];
    } catch {
      return from;
    }
    this.pending = [];
    this.elemBytes = 0;
    this.afterComma = true;
    this.depth = 2;
    this.inString = false;
    this.escape = false;
    for (let k = 0; k < batch.length; k++) this.deliver(batch[k]);
    return cut + 2; // just after the comma
  }

  /** The byte scanner (strings, escapes, depth), from `start`, with the state carried in `this`. */
  private scan(chunk: Buffer, start: number): void {
    const len = chunk.length;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escape;
    /** Start of the bytes not yet handed to the skeleton or to a batch. */
    let runStart = start;
    /** The last comma of the apps array seen in this chunk (a safe place to cut a batch). */
    let lastCut = -1;
    /** Where the current element's bytes begin in this chunk (`start` when it began earlier). */
    let elemStart = start;
    /** Bytes of the current element in earlier chunks (0 once an element starts in this one). */
    let carried = this.elemBytes;
    for (let i = start; i < len; i++) {
      if (inString) {
        // Jump to the end of the string (native search): long strings cost memchr, not a JS loop.
        const end = stringEnd(chunk, escaped ? i + 1 : i);
        escaped = end === -2;
        if (end < 0) break;
        i = end;
        inString = false;
        continue;
      }
      const b = chunk[i]!;
      if (b === QUOTE) {
        inString = true;
      } else if (b === COMMA) {
        if (depth === 2 && this.inApps) {
          if (this.skipping || carried + i - elemStart > this.maxAppBytes) {
            this.skipElement(chunk, runStart, lastCut, carried, elemStart, i);
            this.afterComma = true;
            runStart = i + 1;
            lastCut = -1;
          } else lastCut = i;
          elemStart = i + 1;
          carried = 0;
        }
      } else if (b === OPEN_OBJ || b === OPEN_ARR) {
        if (depth === 1 && b === OPEN_ARR && this.openApps(chunk, runStart, i)) {
          runStart = elemStart = i + 1;
          carried = 0;
          lastCut = -1;
        }
        depth++;
      } else if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        if (depth === 2 && this.inApps) {
          this.closeApps(chunk, runStart, lastCut, carried, elemStart, i);
          runStart = i;
          lastCut = -1;
        }
        depth--;
        if (depth < 0) throw this.bad('unbalanced JSON in the Marathon response');
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escaped;
    this.endOfChunk(chunk, runStart, lastCut, carried, elemStart);
  }

  /** `[` at `at`: if it opens the top-level `apps` array, start streaming its elements (true). */
  private openApps(chunk: Buffer, runStart: number, at: number): boolean {
    if (!this.skeletonTailIsAppsKey(chunk, runStart, at)) return false;
    // JSON.parse would keep the last of duplicate keys; we already streamed the first.
    if (this.appsSeen) throw this.bad('Marathon /v2/apps response has a duplicate apps key');
    this.pushSkeleton(chunk, runStart, at + 1); // keep "[" in the skeleton
    this.inApps = true;
    this.appsSeen = true;
    return true;
  }

  /** `]` at `at` ends the apps array: parse (or skip) what is left; "]" stays for the skeleton. */
  private closeApps(chunk: Buffer, runStart: number, lastCut: number, carried: number, elemStart: number, at: number) {
    if (this.skipping || carried + at - elemStart > this.maxAppBytes) {
      this.skipElement(chunk, runStart, lastCut, carried, elemStart, at);
    } else {
      let from = runStart;
      if (lastCut >= from) {
        this.parseBatch(chunk, from, lastCut, false);
        from = lastCut + 1;
      }
      this.parseBatch(chunk, from, at, true);
    }
    this.inApps = false;
  }

  /**
   * The element `[elemStart, end)` (plus `carried` bytes in earlier chunks) is over the limit: parse the
   * complete elements before it (up to the comma `lastCut`), drop it, and report it.
   */
  private skipElement(
    chunk: Buffer,
    runStart: number,
    lastCut: number,
    carried: number,
    elemStart: number,
    end: number,
  ): void {
    let head: Buffer;
    if (carried > 0) {
      head = this.skipHead ?? headOf(this.pending);
      this.pending = [];
    } else {
      if (lastCut >= runStart) this.parseBatch(chunk, runStart, lastCut, false);
      head = chunk.subarray(elemStart, Math.min(end, elemStart + HEAD_BYTES));
    }
    const bytes = carried + (end - elemStart);
    this.skipping = false;
    this.skipHead = undefined;
    this.elemBytes = 0;
    this.count++;
    this.onOversized(ID_HINT.exec(head.toString('utf8'))?.[1], bytes, this.maxAppBytes);
  }

  /**
   * The rest of a scanned chunk from `runStart`: inside the apps array, the complete elements up to the
   * last comma `lastCut` are parsed and the remainder — the start of the next element, from
   * `elemStart` — kept pending (or only counted, once it is over the limit); outside it, it joins the
   * skeleton.
   */
  private endOfChunk(chunk: Buffer, runStart: number, lastCut: number, carried: number, elemStart: number): void {
    if (!this.inApps) {
      this.pushSkeleton(chunk, runStart, chunk.length);
      return;
    }
    if (!this.skipping && lastCut >= runStart) this.parseBatch(chunk, runStart, lastCut, false);
    this.elemBytes = carried + (chunk.length - elemStart);
    if (this.skipping) return;
    if (elemStart < chunk.length) this.pending.push(chunk.subarray(elemStart, chunk.length));
    if (this.elemBytes > this.maxAppBytes) {
      this.skipHead = Buffer.from(headOf(this.pending));
      this.pending = [];
      this.skipping = true;
    }
  }

  /**
   * The body is complete: validate the skeleton and return the number of apps delivered.
   * Throws AppError MARATHON_BAD_RESPONSE when the body was not `{"apps": [...]}`-shaped valid JSON.
   */
  end(): number {
    if (this.inString || this.depth !== 0 || this.inApps)
      throw this.bad('Marathon /v2/apps response is truncated or not valid JSON');
    let top: unknown;
    try {
      top = JSON.parse(Buffer.concat(this.skeleton, this.skeletonLength).toString('utf8'));
    } catch (err) {
      throw this.bad('Marathon /v2/apps response is not valid JSON', err);
    }
    const apps =
      typeof top === 'object' && top !== null && !Array.isArray(top) ? (top as { apps?: unknown }).apps : undefined;
    if (!Array.isArray(apps)) throw this.bad('Marathon /v2/apps response has no apps list');
    // Not streamed (key not recognised on the fly): deliver from the skeleton.
    if (!this.appsSeen) for (const app of apps) this.deliver(app);
    return this.count;
  }

  /**
   * Parse the pending bytes plus `chunk[from, to)` — one or more complete elements separated by
   * commas — as a JSON array and deliver them. `closing`: this is the last batch (before `]`), which
   * may be empty only for an empty array; a batch before a comma is never empty.
   */
  private parseBatch(chunk: Buffer, from: number, to: number, closing: boolean): void {
    const parts = this.pending;
    this.pending = [];
    this.elemBytes = 0;
    if (from < to) parts.push(chunk.subarray(from, to));
    const text =
      parts.length === 0 ? '' : parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
    const empty = text.trim() === '';
    if (empty && (!closing || this.afterComma)) throw this.bad('Marathon /v2/apps response has an empty app entry');
    if (!closing) this.afterComma = true;
    if (empty) return;
    let batch: unknown[];
    try {
      batch = JSON.parse(`[${text}]`) as unknown[];
    } catch (err) {
      throw this.bad('Marathon /v2/apps response has an invalid app entry', err);
    }
    for (let k = 0; k < batch.length; k++) this.deliver(batch[k]);
  }

  private deliver(app: unknown): void {
    this.count++;
    this.onApp(app);
  }

  private pushSkeleton(chunk: Buffer, from: number, to: number): void {
    if (from >= to) return;
    this.skeletonLength += to - from;
    if (this.skeletonLength > this.maxSkeletonBytes)
      throw this.bad('Marathon /v2/apps response has unexpected large top-level fields');
    // Copy: the skeleton outlives the chunk, and a view would pin the whole chunk in memory.
    this.skeleton.push(Buffer.from(chunk.subarray(from, to)));
  }

  /** Does the skeleton, plus this chunk's pending run, end with `"apps":` (whitespace allowed)? */
  private skeletonTailIsAppsKey(chunk: Buffer, runStart: number, at: number): boolean {
    const local = chunk.subarray(Math.max(runStart, at - 64), at).toString('utf8');
    if (at - runStart >= 64) return APPS_KEY.test(local);
    let tail = local;
    for (let k = this.skeleton.length - 1; k >= 0 && tail.length < 64; k--)
      tail = this.skeleton[k]!.toString('utf8') + tail;
    return APPS_KEY.test(tail);
  }
}
