/** Shared fakes of the notifier tests: a batch, a never-aborted signal, a fast retry policy, an HTTP stand-in, a log capture. */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Change } from '../../src/domain/contracts.js';
import { createLogger } from '../../src/lib/logger.js';

export const change: Change = { written: ['a.example.test', 'b.example.test'], removed: ['old.example.test'] };
export const never = (): AbortSignal => new AbortController().signal;
export const fast = { baseMs: 20, capMs: 50, factor: 2, jitter: 0 };

export interface Hit {
  method: string;
  url: string;
  auth: string | undefined;
}
export async function httpServer(
  t: { after: (fn: () => Promise<void>) => void },
  status: () => number | null,
): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const srv: Server = createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    const s = status();
    if (s === null) return; // never answer
    res.writeHead(s).end('Sent SIGUSR1 signal to marathon-lb');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  );
  const a = srv.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, hits };
}

export function memoryLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let out = '';
  const destination = new Writable({
    write(chunk, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines: () => out };
}
