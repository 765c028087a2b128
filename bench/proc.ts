/**
 * What the benchmarks read about a process from Linux's /proc, and how they print figures.
 * RSS in MB (VmRSS, VmHWM), CPU in seconds (utime + stime); `resetPeak` clears VmHWM so the next
 * reading of `peakMb` is the peak since then (writes 5 to /proc/<pid>/clear_refs; needs the same user).
 */
import { readFileSync, writeFileSync } from 'node:fs';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64 and arm64

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

export const rssMb = (pid: number): number => statusField(pid, 'VmRSS');
export const peakMb = (pid: number): number => statusField(pid, 'VmHWM');
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15 of stat)
}

/** The machine's load averages (1, 5, 15 min), to print beside timings. */
export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Milliseconds or seconds, whichever reads better. */
export const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** `min / median / max` of a sample (the median of an even sample is the mean of the middle two). */
export function mmm(xs: readonly number[], fmt: (n: number) => string = fmtMs): string {
  return `${fmt(Math.min(...xs))} / ${fmt(median(xs))} / ${fmt(Math.max(...xs))}`;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One figure line: a label padded to `width`, the value, and the goal beside it when there is one. */
export function line(label: string, value: string, goal?: string, width = 52): void {
  console.log(`${label.padEnd(width)}: ${value}${goal ? `   [goal: ${goal}]` : ''}`);
}
