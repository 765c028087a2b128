/**
 * Run a configured command without a shell: argv list, extra environment, timeout (SIGTERM, then
 * SIGKILL after a grace period), bounded capture of stderr/stdout for the log.
 *
 * The child inherits this process's environment WITHOUT the daemon's secrets: the EAB HMAC key, the
 * Marathon token, and the Marathon, marathon-lb, ACME directory and ZooKeeper URLs when they carry userinfo (`user:pass@`).
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

/** Secrets that never reach a child process. */
const SECRET_VARS = ['MARATHON_ACME_EAB_HMAC_KEY', 'MARATHON_ACME_MARATHON_TOKEN'];
/** URL variables that are secrets when they carry userinfo (`MARATHON_ACME_ZK`: ZooKeeper digest credentials). */
const URL_VARS = ['MARATHON_ACME_MARATHON', 'MARATHON_ACME_LB', 'MARATHON_ACME_ACME', 'MARATHON_ACME_ZK'];

/** `env` without the daemon's secrets (see the module comment). Does not mutate. */
export function childEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || SECRET_VARS.includes(k)) continue;
    if (URL_VARS.includes(k) && v.includes('@')) continue;
    out[k] = v;
  }
  return out;
}

/** Run `argv` to completion. Never rejects except with the abort reason when `signal` fires. */
export function runCommand(
  argv: readonly string[],
  options: { env?: Record<string, string>; timeoutMs: number; signal?: AbortSignal; cwd?: string },
): Promise<CommandResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...childEnv(process.env), ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stderr = '';
    let timedOut = false;
    let terminating = false;
    let spawnError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (): void => {
      if (terminating) return; // timeout and abort may both fire: one SIGTERM, one SIGKILL timer
      terminating = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = (): void => terminate();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-CAPTURE);
    });
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(options.signal.reason);
      resolve({
        code,
        signal: sig,
        timedOut,
        stderr,
        ms: performance.now() - t0,
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
}

/** null when the command succeeded (exit 0), else a one-line reason for details and logs. */
export function describeResult(r: CommandResult): string | null {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return 'timed out';
  if (r.code === 0) return null;
  const tail = r.stderr.trim().split('\n').pop() ?? '';
  return `${r.code === null ? `killed by ${r.signal}` : `exit status ${r.code}`}${tail ? `: ${tail.slice(0, 200)}` : ''}`;
}
