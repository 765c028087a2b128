/**
 * A marathon-lb stand-in: an HTTP server on loopback answering `/_mlb_signal/usr1` (any method, like
 * marathon-lb's Lua endpoint) with marathon-lb's text, then reloading "its" HAProxy — after answering,
 * as the real one does (marathon-api.md §3.1: the 200 arrives before the reload). Records every call.
 * Signals coalesce like marathon-lb's reload flag: one arriving during a reload triggers at most one
 * more reload, however many arrive.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { HaproxyHandle } from './haproxy.js';

export interface MlbCall {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly at: number;
}

export interface MlbStandin {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly calls: MlbCall[];
  /** Completed HAProxy reloads and their durations (ms). */
  readonly reloads: number[];
  readonly reloadErrors: string[];
  /** Answer this status instead of 200 (e.g. 500 as marathon-lb does in poll mode); null = normal. */
  failWith: number | null;
  /** Resolves once `count` reloads have completed (or rejects after `timeoutMs`). */
  waitForReloads(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves when no reload is running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface MlbStandinOptions {
  /** The HAProxy to reload; without it the stand-in only records. */
  readonly haproxy?: HaproxyHandle;
  /** Require this Basic auth (`user:password`); other requests get 401. */
  readonly basicAuth?: string;
}

export async function startMlbStandin(options: MlbStandinOptions = {}): Promise<MlbStandin> {
  /** The running reload loop, if any; `again` asks it for one more reload. */
  let running: Promise<void> | null = null;
  let again = false;
  const requestReload = (hap: HaproxyHandle): void => {
    if (running) {
      again = true; // coalesces with every other signal until the next reload starts
      return;
    }
    running = (async () => {
      do {
        again = false;
        await hap.reload().then(
          (r) => {
            self.reloads.push(r.ms);
          },
          (e: Error) => {
            self.reloadErrors.push(e.message);
          },
        );
      } while (again);
    })().finally(() => {
      running = null;
    });
  };
  const self: MlbStandin = {
    url: '',
    calls: [],
    reloads: [],
    reloadErrors: [],
    failWith: null,
    async waitForReloads(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (self.reloads.length + self.reloadErrors.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${self.reloads.length} of ${count} reloads`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    idle: async () => {
      while (running) await running;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const handle = (req: IncomingMessage): { status: number; body: string } => {
    const path = (req.url ?? '').split('?')[0]!;
    self.calls.push({
      method: req.method ?? '',
      path,
      at: Date.now(),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (options.basicAuth && req.headers.authorization !== `Basic ${Buffer.from(options.basicAuth).toString('base64')}`)
      return { status: 401, body: 'unauthorized' };
    if (path !== '/_mlb_signal/usr1') return { status: 404, body: 'not found' };
    if (self.failWith !== null)
      return { status: self.failWith, body: 'Failed to send SIGUSR1 signal to marathon-lb (exit code 1).' };
    if (options.haproxy) requestReload(options.haproxy);
    return { status: 200, body: 'Sent SIGUSR1 signal to marathon-lb' };
  };

  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body } = handle(req);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  (self as { url: string }).url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return self;
}
