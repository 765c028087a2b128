/**
 * Silent connections against the HTTP server's cap and timeouts (issue 15 point 6): opens IDLE sockets that
 * never send a byte against a server capped at MAX connections (header timeout 2 s), then times 50
 * challenge requests while they are open, and again once the silence timeout has closed them.
 * Usage: node dist/bench/idle-connections.js [MAX=1000] [IDLE=1100]
 */
import { connect, type Socket } from 'node:net';
import { DEFAULT_LIMITS, HttpServer } from '../src/http/server.js';
import { silentLogger } from '../src/lib/logger.js';

const max = Number(process.argv[2] ?? 1000);
const idle = Number(process.argv[3] ?? 1100);
const server = new HttpServer(
  {
    challenge: async (t) => (t === 'tok' ? 'tok.x' : undefined),
    health: async () => ({ healthy: true, checks: {} }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    status: () => ({}),
    releaseRemovals: () => [],
  },
  silentLogger(),
  undefined,
  { ...DEFAULT_LIMITS, maxConnections: max, headersTimeoutMs: 2000 },
);
const { port } = await server.listen(0, '127.0.0.1');
const sockets: Socket[] = [];
for (let i = 0; i < idle; i++) {
  const c = connect(port, '127.0.0.1');
  c.on('error', () => undefined);
  sockets.push(c);
}
await new Promise((r) => setTimeout(r, 500));

async function probes(): Promise<{ ok: number; failed: number; p50: number; p99: number }> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    try {
      await (await fetch(`http://127.0.0.1:${port}/.well-known/acme-challenge/tok`)).text();
      times.push(performance.now() - t0);
    } catch {
      failed++;
    }
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
  return { ok: times.length, failed, p50: at(0.5), p99: at(0.99) };
}

const during = await probes();
console.log(
  `${idle} silent connections, cap ${max}: challenge ${during.ok}/50 answered, p50 ${during.p50.toFixed(1)} ms, p99 ${during.p99.toFixed(1)} ms`,
);
await new Promise((r) => setTimeout(r, 3500));
const after = await probes();
console.log(
  `4 s later: ${sockets.filter((s) => s.destroyed).length}/${idle} closed by the server; challenge ${after.ok}/50, p99 ${after.p99.toFixed(1)} ms (goal: every silent connection closed, every challenge answered)`,
);
for (const s of sockets) s.destroy();
await server.close();
