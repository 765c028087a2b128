/**
 * Run a configured command without a shell: argv list, extra environment, timeout (SIGTERM, then
 * SIGKILL after a grace period), bounded capture of stderr/stdout for the log.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit status, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** Last 4 KiB of stderr. */
  readonly stderr: string;
  readonly ms: number;
  /** Set when the command could not be started (ENOENT, EACCES). */
  readonly spawnError?: string;
}

const CAPTURE = 4096;
const GRACE_MS = 2000;

/** Run `argv` to completion. Never rejects except with the abort reason when `signal` fires. */
export function runCommand(argv: readonly string[], options: { env?: Record<string, string>; timeoutMs: number; signal?: AbortSignal; cwd?: string }): Promise<CommandResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stderr = '';
    let timedOut = false;
    let spawnError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    };
    const timer = setTimeout(() => { timedOut = true; terminate(); }, options.timeoutMs);
    const onAbort = (): void => terminate();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-CAPTURE); });
    child.on('error', (err) => { spawnError = err.message; });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(options.signal.reason);
      resolve({ code, signal: sig, timedOut, stderr, ms: performance.now() - t0, ...(spawnError ? { spawnError } : {}) });
    });
  });
}
