/**
 * Tests of the Marathon simulator itself (like 0.6.1's test_fake_marathon.py, §9.9): the wire format
 * of reference/marathon-api.md §2 (Jetty framing, exact Accept, filters, attach to all streams) and
 * the events each API call publishes (§2.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  generateCluster,
  startMarathonSimulator,
  type MarathonSimulator,
} from '../../../support/marathon-simulator/index.js';
import { appsToSnapshot } from '../../../../src/sources/marathon/translate.js';
import { SseParser } from '../../../../src/sources/marathon/sse.js';
import { waitFor } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: () => string;
  events: Array<[string, Record<string, unknown>]>;
  close: () => void;
  /** Resolves when the body has ended (non-stream answers). */
  ended: Promise<void>;
}

/** Open a raw request; collects the body and parses it as SSE. */
function open(
  sim: MarathonSimulator,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${sim.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const events: Raw['events'] = [];
      const parser = new SseParser((t, d) => events.push([t, JSON.parse(d) as Record<string, unknown>]));
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        parser.feed(c);
      });
      res.on('error', () => undefined);
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      resolve({
        ended,
        status: res.statusCode ?? 0,
        headers: res.headers,
        rawHeaders: res.rawHeaders,
        events,
        body: () => Buffer.concat(chunks).toString('utf8'),
        close: () => res.destroy(),
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const SSE = { Accept: 'text/event-stream' };

test('GET /v2/events: Jetty framing, exact Accept check, attach event to every stream', async () => {
  const sim = await startMarathonSimulator({ keepAliveMs: 50 });
  try {
    for (const accept of [undefined, 'text/event-stream, */*', 'application/json']) {
      const r = await open(sim, '/v2/events', accept === undefined ? {} : { Accept: accept });
      assert.equal(r.status, 405, `Accept ${accept}`);
      assert.match(r.headers['content-type'] ?? '', /text\/html/);
    }
    const s1 = await open(sim, '/v2/events', SSE);
    assert.equal(s1.status, 200);
    assert.equal(s1.headers['content-type'], 'text/event-stream;charset=utf-8');
    assert.equal(s1.headers['connection'], 'close');
    assert.equal(s1.headers['transfer-encoding'], undefined, 'no chunked encoding');
    await waitFor(() => s1.events.length === 1, 'own attach event');
    assert.equal(s1.events[0]![0], 'event_stream_attached');
    assert.equal(s1.events[0]![1]['remoteAddress'], '127.0.0.1');
    assert.match(String(s1.events[0]![1]['timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await waitFor(() => s1.body().includes('\r\n\r\n\r\n'), 'bare CRLF keep-alive');
    assert.ok(s1.body().startsWith('event: event_stream_attached\r\ndata: {'), 'CRLF framing');

    const s2 = await open(sim, '/v2/events?event_type=api_post_event', SSE);
    await waitFor(() => s1.events.length === 2, 'the other stream sees the second attach');
    assert.equal(s2.events.length, 0, 'filtered out');
    s2.close();
    await waitFor(() => s1.events.some(([t]) => t === 'event_stream_detached'), 'detach published');
    s1.close();
  } finally {
    await sim.stop();
  }
});

test('events per API call: POST/PUT send api_post_event, DELETE only deployment/termination events', async () => {
  const sim = await startMarathonSimulator({ keepAliveMs: 0 });
  try {
    const s = await open(sim, '/v2/events', SSE);
    await waitFor(() => s.events.length === 1, 'attached');
    const post = await open(
      sim,
      '/v2/apps',
      { 'Content-Type': 'application/json' },
      'POST',
      JSON.stringify({ id: 'my-app_1', labels: { a: 'b' } }),
    );
    assert.equal(post.status, 201);
    await waitFor(() => s.events.some(([t]) => t === 'deployment_success'), 'post deployment');
    const types = (): string[] => s.events.map(([t]) => t);
    assert.deepEqual(types(), [
      'event_stream_attached',
      'api_post_event',
      'group_change_success',
      'deployment_info',
      'deployment_step_success',
      'deployment_success',
    ]);
    const ape = s.events[1]![1];
    assert.equal(ape['uri'], '/v2/apps');
    assert.equal((ape['appDefinition'] as { id: string }).id, '/my-app_1');

    assert.equal(
      (await open(sim, '/v2/apps', { 'Content-Type': 'application/json' }, 'POST', JSON.stringify({ id: '/my-app_1' })))
        .status,
      409,
    );

    s.events.splice(0);
    assert.equal(
      (
        await open(
          sim,
          '/v2/apps/my-app_1',
          { 'Content-Type': 'application/json' },
          'PUT',
          JSON.stringify({ labels: {} }),
        )
      ).status,
      200,
    );
    await waitFor(() => types().includes('deployment_success'), 'put deployment');
    assert.equal(s.events[0]![0], 'api_post_event');
    assert.equal(s.events[0]![1]['uri'], '/v2/apps/my-app_1');

    s.events.splice(0);
    assert.equal((await open(sim, '/v2/apps/my-app_1', {}, 'DELETE')).status, 200);
    await waitFor(() => types().includes('deployment_success'), 'delete deployment');
    assert.ok(!types().includes('api_post_event'), 'no api_post_event for deletes');
    assert.ok(types().includes('app_terminated_event'));
    assert.equal((await open(sim, '/v2/apps/my-app_1', {}, 'GET')).status, 404);
    s.close();
  } finally {
    await sim.stop();
  }
});

test('info, ping, leader, app by id, Basic auth', async () => {
  const sim = await startMarathonSimulator({
    apps: [{ id: '/g/a', labels: {} }],
    basicAuth: { username: 'u', password: 'p' },
  });
  try {
    const unauth = await open(sim, '/v2/apps');
    assert.equal(unauth.status, 401);
    assert.equal(unauth.headers['www-authenticate'], 'basic realm="Mesosphere"');
    const auth = { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
    const ping = await open(sim, '/ping', auth);
    await ping.ended;
    assert.equal(ping.body(), 'pong');
    const info = await open(sim, '/v2/info', auth);
    await info.ended;
    assert.equal(JSON.parse(info.body()).name, 'marathon');
    const leader = await open(sim, '/v2/leader', auth);
    await leader.ended;
    assert.equal(JSON.parse(leader.body()).leader, `127.0.0.1:${sim.port}`);
    const app = await open(sim, '/v2/apps/g/a', auth);
    await app.ended;
    assert.equal(JSON.parse(app.body()).app.id, '/g/a');
  } finally {
    await sim.stop();
  }
});

test('generateCluster: 10,000 apps, deterministic, every networking shape translates', () => {
  const apps = generateCluster({ apps: 10_000, acmeApps: 5000 });
  assert.equal(apps.length, 10_000);
  assert.deepEqual(generateCluster({ apps: 50 }), generateCluster({ apps: 50 }), 'deterministic');
  const withAcme = apps.filter((a) =>
    Object.keys(a['labels'] as object).some((k) => k.startsWith('MARATHON_ACME_')),
  ).length;
  assert.equal(withAcme, 5000);
  const snap = appsToSnapshot(apps, { group: 'external', allowMultipleCerts: false, san: false });
  assert.ok(snap.specs.length > 4000, `${snap.specs.length} certificates`);
  assert.ok(
    snap.problems.every((p) => p.code === 'MULTIPLE_DOMAINS_IGNORED'),
    'only the expected warnings',
  );
  const size = JSON.stringify({ apps }).length;
  assert.ok(size > 10_000 * 1000, `realistic payload size (${size} bytes)`);
});

test('simulator: each request recorded once (also a 404 outside the base path); add = put of a new id; changes end setRaw', async () => {
  const sim = await startMarathonSimulator({ basePath: '/marathon', keepAliveMs: 0 });
  try {
    await (await open(sim, '/other')).ended;
    await (await open(sim, '/marathon/ping')).ended;
    assert.deepEqual(
      sim.controls.requests().map((r) => `${r.method} ${r.path}`),
      ['GET /other', 'GET /marathon/ping'],
    );

    sim.apps.setRaw([{ id: '/raw' }]);
    assert.deepEqual(sim.apps.list(), [{ id: '/raw' }]);
    sim.apps.add({ id: 'a' });
    assert.deepEqual(
      sim.apps.list().map((a) => (a as { id: string }).id),
      ['/a'],
      'a change serves the app map again',
    );
    assert.deepEqual((sim.apps.get('/a') as { labels: unknown }).labels, {});
    assert.throws(() => sim.apps.add({ id: '/a' }), /already exists/);
    sim.apps.put({ id: '/a', labels: { x: 'y' } });
    const body = await open(sim, '/marathon/v2/apps');
    await body.ended;
    assert.deepEqual(
      JSON.parse(body.body()).apps.map((a: { labels: unknown }) => a.labels),
      [{ x: 'y' }],
      'the cached body is refreshed',
    );
    assert.equal(sim.apps.remove('/a'), true);
    assert.deepEqual(sim.apps.list(), []);
  } finally {
    await sim.stop();
  }
});

test('simulator cli: --auth without a colon is a clear error', () => {
  const cli = fileURLToPath(new URL('../../../support/marathon-simulator/cli.js', import.meta.url));
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--auth', 'user'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--auth needs user:pass/);
});
