/**
 * How far V8 lets the heap grow before a full collection. By default the old generation may reach up
 * to about four times what survived the last full collection: a daemon with 30 MB of live data and a
 * few megabytes of short-lived garbage per /status or /metrics scrape (promoted at once when the young
 * generation is capped, as the image does) then sat at 160 MB after a few scrapes at 5,000 certificates
 * until the memory reducer ran. A growth of 10 % keeps it near the live size, for a few more full
 * collections per scrape (bench/scale.ts; docs/operations.md "Memory and CPU").
 *
 * Contract: the flag is applied once the start-up's reading of `certs/` is done (during that burst a tight
 * heap only adds collections: 0.4 s of GC at 5,000 certificates), unless the operator gave
 * `--heap-growing-percent` to node (then theirs stands). V8 reads it at every full collection, so
 * setting it at run time takes effect.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 10;

/** The V8 flag to set, or undefined when node was started with its own. Pure. */
export function heapGrowingFlag(execArgv: readonly string[]): string | undefined {
  const own = execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
  return own ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Apply `heapGrowingFlag(process.execArgv)`; returns the flag set, if any. */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = heapGrowingFlag(execArgv);
  if (flag) setFlagsFromString(flag);
  return flag;
}
