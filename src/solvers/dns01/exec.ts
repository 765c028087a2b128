/**
 * The exec provider, lego's hook contract: the operator's program is run WITHOUT a shell as
 *   `EXEC_PATH present <fqdn> <value>` / `EXEC_PATH cleanup <fqdn> <value>` (fqdn with its trailing dot,
 *   after CNAME following; value the TXT content), or with `EXEC_MODE=RAW` as
 *   `EXEC_PATH present -- <domain> <token> <key-authorization>` (and `cleanup -- ...`).
 * The program gets a clean environment (PATH, LANG, TZ, HOME only): none of the daemon's secrets. A
 * non-zero exit, a signal, or running past the timeout is DNS_PROVIDER_FAILED with the end of its
 * stderr in the error.
 */
import { spawn } from 'node:child_process';
import type { DnsProvider, ProviderTiming, TxtRecord } from './provider.js';
import { DnsError } from './transport.js';

export interface ExecOptions {
  readonly path: string;
  readonly raw: boolean;
  readonly timing: ProviderTiming;
  /** How long one run may take (default: the propagation timeout). */
  readonly timeoutMs?: number;
  /** The environment the program gets (default: PATH, LANG, TZ, HOME of this process). */
  readonly env?: NodeJS.ProcessEnv;
}

const STDERR_KEEP = 2048;
const SAFE_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME'];

/** The program's arguments for one action (lego's exec provider contract). */
export function execArgs(action: 'present' | 'cleanup', record: TxtRecord, raw: boolean): string[] {
  return raw
    ? [action, '--', record.domain, record.token, record.keyAuthorization]
    : [action, `${record.fqdn}.`, record.value];
}

/** Only the harmless variables of `env`. */
export function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const k of SAFE_ENV) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

export class ExecProvider implements DnsProvider {
  readonly name = 'exec';
  readonly timing: ProviderTiming;

  constructor(private readonly opts: ExecOptions) {
    this.timing = opts.timing;
  }

  present(record: TxtRecord, signal: AbortSignal): Promise<void> {
    return this.run('present', record, signal);
  }

  cleanUp(record: TxtRecord, signal: AbortSignal): Promise<void> {
    return this.run('cleanup', record, signal);
  }

  private run(action: 'present' | 'cleanup', record: TxtRecord, signal: AbortSignal): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? this.timing.propagationTimeoutMs;
    const details = { program: this.opts.path, action, name: record.fqdn };
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      let stderr = '';
      let timedOut = false;
      const child = spawn(this.opts.path, execArgs(action, record, this.opts.raw), {
        env: this.opts.env ?? cleanEnv(process.env),
        stdio: ['ignore', 'ignore', 'pipe'],
        shell: false,
        // Its own process group, so a timeout kills what it started too (a shell's `sleep`, `nsupdate`).
        detached: true,
      });
      const killGroup = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const onAbort = (): void => killGroup();
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return reject(signal.reason);
        reject(new DnsError('DNS_PROVIDER_FAILED', 'the exec program could not be started', { cause: err, details }));
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return reject(signal.reason);
        if (code === 0) return resolve();
        const why = timedOut ? `timed out after ${timeoutMs / 1000} s` : sig ? `killed by ${sig}` : `exit code ${code}`;
        reject(
          new DnsError('DNS_PROVIDER_FAILED', `the exec program failed (${why}): ${stderr.trim()}`, {
            details: { ...details, exit_code: code, stderr: stderr.trim() },
          }),
        );
      });
    });
  }
}
