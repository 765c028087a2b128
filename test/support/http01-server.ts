/**
 * Serves an `Http01Solver`'s answers on 127.0.0.1:<port> at /.well-known/acme-challenge/<token>, the way
 * the daemon's HTTP server does, for Pebble's VA to validate against.
 */
import http from 'node:http';
import { Http01Solver } from '../../src/solvers/http01.js';

export interface Http01Server {
  solver: Http01Solver;
  port: number;
  /** Validation requests seen (Pebble's VA sends several per challenge). */
  hits: number;
  close(): Promise<void>;
}

const PREFIX = '/.well-known/acme-challenge/';

export async function startHttp01Server(port: number, solver = new Http01Solver()): Promise<Http01Server> {
  const state = { hits: 0 };
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    state.hits += 1;
    const answer = path.startsWith(PREFIX) ? await solver.lookup(path.slice(PREFIX.length)) : undefined;
    if (answer === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    solver,
    port,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
