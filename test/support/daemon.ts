/**
 * Run the built daemon (`dist/src/main.js`) as a child process, as an operator would: for the e2e
 * test, the demo and the benchmarks. Collects its JSON log lines; stops it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const DAEMON_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'main.js');

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Daemon {
  readonly pid: number;
  readonly logs: LogLine[];
  /** Resolves with the first log line matching, or rejects after `timeoutMs`. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit code (null if killed). */
  stop(): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export function startDaemon(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; echo?: (line: string) => void; command?: readonly string[] } = {},
): Daemon {
  // A subcommand (e.g. `agent`) comes first, then its flags.
  const argv = [DAEMON_BIN, ...(opts.command ?? []), '--log-format', 'json', ...args];
  const child: ChildProcess = spawn(process.execPath, argv, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      opts.echo?.(line);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 'raw', msg: line });
      }
      for (const w of waiters) w();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    opts.echo?.(text.trimEnd());
    logs.push({ level: 'stderr', msg: text });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    logs,
    exited,
    waitForLog(match, timeoutMs = 30_000, what = 'log line') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = logs.find(match);
          if (hit) {
            waiters.delete(check as () => void);
            clearTimeout(timer);
            resolve(hit);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(check as () => void);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${logs
                .slice(-15)
                .map((l) => JSON.stringify(l))
                .join('\n')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check as () => void);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
