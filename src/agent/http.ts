/**
 * The agent's own HTTP port (`--listen`, default :8001): `GET /health` and `GET /metrics`; everything
 * else 404. No secrets: no token, key or bundle is ever served here.
 *
 * /health: 200 `ok` when the last round reached a server; 200 `starting` in the first 2 minutes before
 * any; 503 `unreachable` when no server answered for 5 minutes (or since start, after the first 2).
 * The files stay served by HAProxy in every case; the body says since when and why.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentStatus } from './agent.js';
import { listenOn } from '../lib/listen.js';

export const STARTING_GRACE_MS = 120_000;
export const UNREACHABLE_AFTER_MS = 300_000;

export interface AgentHealth {
  readonly healthy: boolean;
  readonly body: Record<string, unknown>;
}

/** Pure: the health of `s` at `now`. */
export function agentHealth(s: AgentStatus, now: number): AgentHealth {
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  let status: 'ok' | 'starting' | 'unreachable' | 'retrying';
  if (s.lastSuccessAt === null) status = now - s.startedAt < STARTING_GRACE_MS ? 'starting' : 'unreachable';
  else if (s.consecutiveFailures === 0) status = 'ok';
  else status = now - s.lastSuccessAt < UNREACHABLE_AFTER_MS ? 'retrying' : 'unreachable';
  return {
    healthy: status !== 'unreachable',
    body: {
      status,
      last_sync: iso(s.lastSuccessAt),
      last_error: s.lastError,
      consecutive_failures: s.consecutiveFailures,
      server: s.server,
      epoch: s.epoch,
      version: s.version,
      certificates: s.certificates,
      removals_held: s.removalsHeld,
      lb_signals: s.signals,
      last_lb_signal: s.lastSignal && { ...s.lastSignal, at: iso(s.lastSignal.at) },
    },
  };
}

/** Prometheus text of `s` (names `marathon_acme_agent_*`, listed in docs/agent.md). */
export function agentMetrics(s: AgentStatus): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]): void => {
    lines.push(`# HELP marathon_acme_agent_${name} ${help}`, `# TYPE marathon_acme_agent_${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`marathon_acme_agent_${name}${labels} ${v}`);
  };
  metric('last_sync_timestamp_seconds', 'gauge', 'When a server last answered (0: never).', [
    ['', (s.lastSuccessAt ?? 0) / 1000],
  ]);
  metric('certificates', 'gauge', 'Certificates the server listed in the last snapshot applied.', [
    ['', s.certificates],
  ]);
  metric('consecutive_sync_failures', 'gauge', 'Rounds failed since the last success.', [['', s.consecutiveFailures]]);
  metric('sync_failures_total', 'counter', 'Rounds that failed (no server, refused, bad answer).', [
    ['', s.failuresTotal],
  ]);
  metric('bundles_written_total', 'counter', 'Bundles written into certs/.', [['', s.writtenTotal]]);
  metric('bundles_removed_total', 'counter', 'Bundles removed from certs/.', [['', s.removedTotal]]);
  metric('removals_held', 'gauge', 'Bundles kept because the server listed no certificate at all.', [
    ['', s.removalsHeld],
  ]);
  metric('lb_signals_total', 'counter', 'Load balancer signals per batch, by result.', [
    ['{result="ok"}', s.signals.ok],
    ['{result="failed"}', s.signals.failed],
  ]);
  return `${lines.join('\n')}\n`;
}

export class AgentHttp {
  private server: Server | undefined;

  constructor(private readonly status: AgentStatus) {}

  async listen(port: number, host?: string): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      let code = 404;
      let type = 'text/plain';
      let body = 'Not Found\n';
      if (path === '/health' || path === '/metrics') {
        if (req.method !== 'GET' && req.method !== 'HEAD') code = 405;
        else if (path === '/health') {
          const h = agentHealth(this.status, Date.now());
          [code, type, body] = [h.healthy ? 200 : 503, 'application/json', JSON.stringify(h.body)];
        } else [code, type, body] = [200, 'text/plain; version=0.0.4', agentMetrics(this.status)];
        if (code === 405) body = 'Method Not Allowed\n';
      }
      res.writeHead(code, {
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    this.server = server;
    await listenOn(server, port, host);
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
