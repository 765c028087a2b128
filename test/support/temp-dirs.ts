/**
 * Temporary directories of the test support (servers, stacks, stores), the demo and the benchmarks:
 * each is removed by its owner's stop/cleanup, and whatever is left is removed when the process exits —
 * normally, on an uncaught error, or on Ctrl-C/SIGTERM/SIGHUP.
 *
 * Signals: when nothing else in the process listens for the signal, it exits with 128 + the signal's
 * number, so the `exit` hooks run (these removals, and the kill hooks of haproxy.ts and pebble.ts); a
 * process with its own handler (the demo's graceful stop) keeps it, and the removals run when it exits.
 * Only SIGKILL leaves anything behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();
let hooked = false;

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (const [sig, num] of Object.entries(SIGNALS) as Array<[keyof typeof SIGNALS, number]>) {
    const onSignal = (): void => {
      if (process.listenerCount(sig) > 1) return; // someone else handles it, then exits
      process.exit(128 + num);
    };
    process.on(sig, onSignal);
  }
}

/** A fresh directory under the system's temp dir (`<prefix>XXXXXX`), removed at exit at the latest. */
export function makeTempDir(prefix: string): string {
  hook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Remove a directory from `makeTempDir` now (idempotent). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}
