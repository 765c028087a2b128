/**
 * The process's open-file limit, read from /proc/self/limits (Linux; Node has no getrlimit/setrlimit).
 * The image's entrypoint raises the soft limit to the hard one before starting node; the daemon warns at
 * start when the soft limit is below `--max-connections` plus a margin for its own files and clients.
 */
import { readFile } from 'node:fs/promises';

/** Files, sockets to the CA, Marathon, load balancers and the log: what the daemon needs beside its listener. */
export const OWN_FILES_MARGIN = 64;

/** The soft and hard `Max open files` of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function parseOpenFileLimits(text: string): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return undefined;
  const n = (s: string) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

/** This process's limits, or undefined where /proc is not there to tell. */
export async function openFileLimits(): Promise<{ soft: number; hard: number } | undefined> {
  try {
    return parseOpenFileLimits(await readFile('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether `soft` leaves room for `maxConnections` connections and the daemon's own files. */
export function openFilesSuffice(soft: number, maxConnections: number): boolean {
  return soft >= maxConnections + OWN_FILES_MARGIN;
}
