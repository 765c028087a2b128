import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AgentStatus, initialAgentStatus } from '../../../src/agent/agent.js';
import { agentHealth, agentMetrics } from '../../../src/agent/http.js';

const T = 1_800_000_000_000;
const base = (over: Partial<AgentStatus>): AgentStatus => ({ ...initialAgentStatus(T), ...over });

const cases: [string, AgentStatus, number, string, boolean][] = [
  ['starting', base({}), T + 1000, 'starting', true],
  ['never reached a server after the grace', base({ consecutiveFailures: 9 }), T + 200_000, 'unreachable', false],
  ['synced', base({ lastSuccessAt: T + 5000 }), T + 6000, 'ok', true],
  ['failing for a minute', base({ lastSuccessAt: T, consecutiveFailures: 3 }), T + 60_000, 'retrying', true],
  ['failing for ten minutes', base({ lastSuccessAt: T, consecutiveFailures: 30 }), T + 600_000, 'unreachable', false],
];
for (const [name, s, now, status, healthy] of cases) {
  test(`agentHealth: ${name}`, () => {
    const h = agentHealth(s, now);
    assert.equal(h.body.status, status);
    assert.equal(h.healthy, healthy);
  });
}

test('agentMetrics: last sync, certificates held, LB signal results', () => {
  const text = agentMetrics(base({ lastSuccessAt: T, certificates: 4, signals: { ok: 2, failed: 1 } }));
  assert.match(text, /^marathon_acme_agent_last_sync_timestamp_seconds 1800000000$/m);
  assert.match(text, /^marathon_acme_agent_certificates 4$/m);
  assert.match(text, /^marathon_acme_agent_lb_signals_total\{result="ok"\} 2$/m);
  assert.match(text, /^marathon_acme_agent_lb_signals_total\{result="failed"\} 1$/m);
});
