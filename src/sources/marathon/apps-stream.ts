/**
 * Incremental reader of a `GET /v2/apps` body (`{"apps": [ <App>, ... ]}`) that hands each app to a
 * callback as soon as its bytes are complete, so the daemon never holds the whole body nor the whole
 * parsed list (10,000 apps ≈ 15 MB of JSON ≈ 100+ MB of objects; the original's app definition gives
 * it 128 MB). Each element is parsed with `JSON.parse` (native), so values are exactly what a full
 * `JSON.parse` would give.
 *
 * How: a byte scanner tracks strings (with escapes, across chunks) and nesting depth; inside the
 * depth-1 array whose key is `apps`, each element's bytes (between `[`/`,` and `,`/`]` at depth 2)
 * are cut out and parsed. Everything else — the "skeleton", e.g. `{"apps":[]}` — is kept and parsed at
 * the end, which validates the structure around the elements. Strictness equals `JSON.parse`'s: an
 * empty element (`[1,]`), a bad element or a bad skeleton is an error. CR/LF/quotes/brackets are ASCII
 * and never occur inside a multi-byte UTF-8 sequence, so scanning bytes is safe.
 *
 * If the `apps` key cannot be recognised while streaming (e.g. written with escapes), the array stays
 * in the skeleton and is taken from there at the end: same result, just not streamed.
 */

export class AppsBodyError extends Error {
  readonly code = 'MARATHON_BAD_RESPONSE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppsBodyError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const APPS_KEY = /"apps"\s*:\s*$/;

export class AppsStreamParser {
  private depth = 0;
  private inString = false;
  /** Backslashes immediately before the current scan position inside a string (carried across chunks). */
  private backslashes = 0;
  private inApps = false;
  private appsSeen = false;
  /** Inside an element of the apps array: its bytes so far. */
  private inElement = false;
  private elementParts: Buffer[] = [];
  private skeleton: Buffer[] = [];
  private skeletonLength = 0;
  /** Number of apps delivered. */
  count = 0;

  constructor(private readonly onApp: (app: unknown) => void, private readonly maxSkeletonBytes = 1024 * 1024) {}

  /** Feed the next chunk. Throws AppsBodyError on malformed input (or what `onApp` throws). */
  feed(chunk: Buffer): void {
    const len = chunk.length;
    let i = 0;
    /** Start of the current run of bytes to copy (into the element or the skeleton). */
    let runStart = 0;
    while (i < len) {
      if (this.inString) {
        const q = chunk.indexOf(QUOTE, i);
        if (q === -1) {
          this.backslashes = trailingBackslashes(chunk, i, len, this.backslashes);
          i = len;
          break;
        }
        const run = trailingBackslashes(chunk, i, q, this.backslashes);
        this.backslashes = 0;
        i = q + 1;
        if (run % 2 === 0) this.inString = false; // an unescaped quote closes the string
        continue;
      }
      const b = chunk[i]!;
      if (b === QUOTE) {
        this.inString = true;
        this.backslashes = 0;
      } else if (b === OPEN_OBJ || b === OPEN_ARR) {
        if (this.depth === 1 && b === OPEN_ARR && this.skeletonTailIsAppsKey(chunk, runStart, i)) {
          // JSON.parse would keep the last of duplicate keys; we already streamed the first.
          if (this.appsSeen) throw new AppsBodyError('Marathon /v2/apps response has a duplicate apps key');
          // The apps array starts: keep "[" in the skeleton, then elements begin.
          this.pushSkeleton(chunk, runStart, i + 1);
          this.inApps = true;
          this.appsSeen = true;
          this.depth = 2;
          this.startElement();
          i++;
          runStart = i;
          continue;
        }
        this.depth++;
      } else if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        if (this.inApps && this.depth === 2) {
          // End of the apps array: finish the last element (if any), keep "]" in the skeleton.
          this.endElement(chunk, runStart, i, true);
          this.inApps = false;
          this.depth = 1;
          runStart = i;
          i++;
          continue;
        }
        this.depth--;
        if (this.depth < 0) throw new AppsBodyError('unbalanced JSON in the Marathon response');
      } else if (b === COMMA && this.inApps && this.depth === 2) {
        this.endElement(chunk, runStart, i, false);
        this.startElement();
        i++;
        runStart = i;
        continue;
      }
      i++;
    }
    // Keep the rest of this chunk's run.
    if (this.inElement) {
      if (runStart < len) this.elementParts.push(chunk.subarray(runStart, len));
    } else {
      this.pushSkeleton(chunk, runStart, len);
    }
  }

  /**
   * The body is complete: validate the skeleton and return the number of apps delivered.
   * Throws AppsBodyError when the body was not `{"apps": [...]}`-shaped valid JSON.
   */
  end(): number {
    if (this.inString || this.depth !== 0 || this.inElement) throw new AppsBodyError('Marathon /v2/apps response is truncated or not valid JSON');
    let top: unknown;
    try {
      top = JSON.parse(Buffer.concat(this.skeleton, this.skeletonLength).toString('utf8'));
    } catch (err) {
      throw new AppsBodyError('Marathon /v2/apps response is not valid JSON', { cause: err });
    }
    const apps = typeof top === 'object' && top !== null && !Array.isArray(top) ? (top as { apps?: unknown }).apps : undefined;
    if (!Array.isArray(apps)) throw new AppsBodyError('Marathon /v2/apps response has no apps list');
    // Not streamed (key not recognised on the fly): deliver from the skeleton.
    if (!this.appsSeen) for (const app of apps) this.deliver(app);
    return this.count;
  }

  private startElement(): void {
    this.inElement = true;
    this.elementParts = [];
  }

  private endElement(chunk: Buffer, from: number, to: number, closing: boolean): void {
    this.inElement = false;
    const parts = this.elementParts;
    this.elementParts = [];
    if (from < to) parts.push(chunk.subarray(from, to));
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const text = bytes.toString('utf8');
    if (closing && this.count === 0 && text.trim() === '') return; // "[]"
    let app: unknown;
    try {
      app = JSON.parse(text);
    } catch (err) {
      throw new AppsBodyError('Marathon /v2/apps response has an invalid app entry', { cause: err });
    }
    this.deliver(app);
  }

  private deliver(app: unknown): void {
    this.count++;
    this.onApp(app);
  }

  private pushSkeleton(chunk: Buffer, from: number, to: number): void {
    if (from >= to) return;
    this.skeletonLength += to - from;
    if (this.skeletonLength > this.maxSkeletonBytes) throw new AppsBodyError('Marathon /v2/apps response has unexpected large top-level fields');
    // Copy: the skeleton outlives the chunk, and a view would pin the whole chunk in memory.
    this.skeleton.push(Buffer.from(chunk.subarray(from, to)));
  }

  /** Does the skeleton, plus this chunk's pending run, end with `"apps":` (whitespace allowed)? */
  private skeletonTailIsAppsKey(chunk: Buffer, runStart: number, at: number): boolean {
    const local = chunk.subarray(Math.max(runStart, at - 64), at).toString('utf8');
    if (at - runStart >= 64) return APPS_KEY.test(local);
    let tail = local;
    for (let k = this.skeleton.length - 1; k >= 0 && tail.length < 64; k--) tail = this.skeleton[k]!.toString('utf8') + tail;
    return APPS_KEY.test(tail);
  }
}

/** Consecutive backslashes ending just before `end` (within [start, end)), plus `carried` if the run reaches `start`. */
function trailingBackslashes(chunk: Buffer, start: number, end: number, carried: number): number {
  let n = 0;
  let k = end - 1;
  while (k >= start && chunk[k] === BACKSLASH) {
    n++;
    k--;
  }
  return k < start ? n + carried : n;
}
