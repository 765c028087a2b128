/**
 * MarathonClient against the simulator (and a few raw servers for malformed answers):
 * failover, Basic/token auth, base path, timeouts, 302 to the leader, typed errors
 * (reference/marathon-acme-behaviour.md §3.1–3.4, §9.7 test_clients.py).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MarathonClient, parseMarathonUrls } from '../../../../src/sources/marathon/client.js';
import { AppError } from '../../../../src/lib/errors.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { startMarathonSimulator } from '../../../support/marathon-simulator/index.js';
import { deadPort, memoryLogger, rawServer } from './helpers.js';

const APP = {
  id: '/web',
  labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com' },
  portDefinitions: [{ port: 10000 }],
};

function codeOf(err: unknown): string | undefined {
  return err instanceof AppError ? err.code : undefined;
}
function causeCode(err: unknown): string | undefined {
  return err instanceof Error ? codeOf(err.cause) : undefined;
}

test('parseMarathonUrls: trims, splits, strips credentials, keeps the base path', () => {
  const eps = parseMarathonUrls(' http://a:8080 , https://user:pa%24%24word@b/marathon/ ,,');
  assert.deepEqual(
    eps.map((e) => e.display),
    ['http://a:8080', 'https://b/marathon'],
  );
  assert.equal(eps[0]!.basicAuth, undefined);
  assert.equal(eps[1]!.basicAuth, `Basic ${Buffer.from('user:pa$$word').toString('base64')}`);
  assert.equal(eps[1]!.basicAuth, 'Basic dXNlcjpwYSQkd29yZA==', '0.6.1 test_auth value');
  assert.throws(
    () => parseMarathonUrls(' , '),
    (e: unknown) => codeOf(e) === 'CONFIG_INVALID',
  );
  assert.throws(
    () => parseMarathonUrls('ftp://x'),
    (e: unknown) => codeOf(e) === 'CONFIG_INVALID',
  );
  assert.throws(
    () => parseMarathonUrls('not a url'),
    (e: unknown) => codeOf(e) === 'CONFIG_INVALID',
  );
});

test('parseMarathonUrls: a password with @ or / is sent whole and never shown, even in errors', () => {
  const [ep] = parseMarathonUrls('http://user:p@ss@marathon:8080');
  assert.equal(ep!.display, 'http://marathon:8080');
  assert.equal(ep!.basicAuth, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  assert.equal(ep!.base.username, '');
  assert.equal(ep!.base.password, '');
  const details = (entry: string): string => {
    try {
      parseMarathonUrls(entry);
    } catch (err) {
      assert.equal(codeOf(err), 'CONFIG_INVALID', entry);
      return JSON.stringify((err as AppError).details) + (err as Error).message;
    }
    return assert.fail(`${entry} was accepted`);
  };
  for (const [entry, secret] of [
    ['ftp://user:p@ss@marathon', 'ss'],
    ['http://user:se/cret@marathon:99999', 'cret'],
    ['http://user:s3/cr@t@marathon:bad', 'cr'],
  ] as const) {
    const text = details(entry);
    assert.ok(!text.includes(secret) && !text.includes('user'), `${entry} leaks: ${text}`);
    assert.match(text, /\*\*\*@marathon/, entry);
  }
});

test('getApps returns the apps list verbatim with Accept: application/json', async () => {
  const sim = await startMarathonSimulator({ apps: [APP] });
  try {
    const client = new MarathonClient({ urls: sim.url, logger: silentLogger() });
    assert.deepEqual(await client.getApps(), [APP]);
    const req = sim.controls.requests().find((r) => r.path === '/v2/apps')!;
    assert.equal(req.headers['accept'], 'application/json');
    assert.equal(req.query, '', 'no embed, no query (§3.3)');
  } finally {
    await sim.stop();
  }
});

test('failover: a dead endpoint is skipped and the working one remembered', async () => {
  const sim = await startMarathonSimulator({ apps: [APP] });
  const dead = `http://127.0.0.1:${await deadPort()}`;
  try {
    const client = new MarathonClient({ urls: [dead, sim.url], logger: silentLogger() });
    assert.deepEqual(await client.getApps(), [APP]);
    assert.equal(client.preferredIndex, 1);
    assert.deepEqual(await client.getApps(), [APP]);
    assert.equal(client.preferredIndex, 1, 'still the working one');
  } finally {
    await sim.stop();
  }
});

test('failover on 5xx; a 5xx everywhere is a typed status error, never an empty list', async () => {
  const a = await startMarathonSimulator({ apps: [] });
  const b = await startMarathonSimulator({ apps: [APP] });
  try {
    a.controls.failWith(503);
    const client = new MarathonClient({ urls: [a.url, b.url], logger: silentLogger() });
    assert.deepEqual(await client.getApps(), [APP]);
    b.controls.failWith(500);
    await assert.rejects(
      client.getApps(),
      (e: unknown) => codeOf(e) === 'MARATHON_HTTP_STATUS' && /50[03] Server Error/.test((e as Error).message),
    );
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('all endpoints unreachable: MARATHON_UNREACHABLE with the last failure as cause', async () => {
  const client = new MarathonClient({
    urls: [`http://127.0.0.1:${await deadPort()}`, `http://127.0.0.1:${await deadPort()}`],
    logger: silentLogger(),
  });
  await assert.rejects(client.getApps(), (e: unknown) => {
    assert.equal(codeOf(e), 'MARATHON_UNREACHABLE');
    assert.equal((e as Error).message, 'Failed to make a request to all Marathon endpoints');
    assert.equal(causeCode(e), 'MARATHON_TRANSPORT');
    return true;
  });
});

test('a 4xx does not fail over (it would be the same everywhere)', async () => {
  const a = await startMarathonSimulator({ apps: [], basicAuth: { username: 'u', password: 'p' } });
  const b = await startMarathonSimulator({ apps: [APP] });
  try {
    const client = new MarathonClient({ urls: [a.url, b.url], logger: silentLogger() });
    await assert.rejects(
      client.getApps(),
      (e: unknown) => codeOf(e) === 'MARATHON_HTTP_STATUS' && /401 Client Error/.test((e as Error).message),
    );
    assert.equal(b.controls.requests().length, 0);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('Basic auth from the URL; the password never reaches a log line', async () => {
  const sim = await startMarathonSimulator({ apps: [APP], basicAuth: { username: 'user', password: 'pa$$word' } });
  const { logger, lines } = memoryLogger('debug');
  try {
    const withCreds = sim.url.replace('http://', () => 'http://user:pa$$word@');
    const client = new MarathonClient({ urls: withCreds, logger });
    assert.deepEqual(await client.getApps(), [APP]);
    const ev = await client.openEvents(['api_post_event']);
    ev.response.destroy();
    assert.equal(sim.controls.requests()[0]!.headers['authorization'], 'Basic dXNlcjpwYSQkd29yZA==');
    assert.ok(lines().length > 0);
    assert.ok(
      lines().every((l) => !l.includes('pa$$word') && !l.includes('dXNlcjpwYSQkd29yZA')),
      'no secret in logs',
    );
    const bad = new MarathonClient({ urls: sim.url.replace('http://', 'http://user:wrong@'), logger: silentLogger() });
    await assert.rejects(
      bad.getApps(),
      (e: unknown) => codeOf(e) === 'MARATHON_HTTP_STATUS' && !(e as Error).message.includes('wrong'),
    );
  } finally {
    await sim.stop();
  }
});

test('DC/OS token: Authorization: token=...', async () => {
  const sim = await startMarathonSimulator({ apps: [APP], token: 's3cret' });
  try {
    await assert.rejects(
      new MarathonClient({ urls: sim.url, logger: silentLogger() }).getApps(),
      (e: unknown) => codeOf(e) === 'MARATHON_HTTP_STATUS',
    );
    const client = new MarathonClient({ urls: sim.url, token: 's3cret', logger: silentLogger() });
    assert.deepEqual(await client.getApps(), [APP]);
    assert.equal(sim.controls.requests().at(-1)!.headers['authorization'], 'token=s3cret');
  } finally {
    await sim.stop();
  }
});

test('a base path is kept (0.6.1 dropped it)', async () => {
  const sim = await startMarathonSimulator({ apps: [APP], basePath: '/marathon' });
  try {
    const client = new MarathonClient({ urls: `${sim.url}/marathon/`, logger: silentLogger() });
    assert.deepEqual(await client.getApps(), [APP]);
    const ev = await client.openEvents(['api_post_event']);
    ev.response.destroy();
    assert.deepEqual(
      sim.controls.requests().map((r) => r.path),
      ['/marathon/v2/apps', '/marathon/v2/events'],
    );
    await assert.rejects(
      new MarathonClient({ urls: sim.url, logger: silentLogger() }).getApps(),
      (e: unknown) => codeOf(e) === 'MARATHON_HTTP_STATUS',
    );
  } finally {
    await sim.stop();
  }
});

test('response-header timeout fails over; 0 disables it', async () => {
  const slow = await startMarathonSimulator({ apps: [] });
  const fast = await startMarathonSimulator({ apps: [APP] });
  try {
    slow.controls.stall({ apps: 'headers' });
    const client = new MarathonClient({ urls: [slow.url, fast.url], timeoutMs: 300, logger: silentLogger() });
    assert.deepEqual(await client.getApps(), [APP], 'timed out on the first, answered by the second');

    const only = new MarathonClient({ urls: slow.url, timeoutMs: 300, logger: silentLogger() });
    await assert.rejects(
      only.getApps(),
      (e: unknown) => codeOf(e) === 'MARATHON_UNREACHABLE' && causeCode(e) === 'MARATHON_TIMEOUT',
    );

    const never = new MarathonClient({ urls: slow.url, timeoutMs: 0, logger: silentLogger() });
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 1000);
    await assert.rejects(
      never.getApps(ac.signal),
      (e: unknown) => (e as Error).name === 'AbortError',
      'no timeout: only the abort ends it',
    );
    clearTimeout(t);
  } finally {
    slow.controls.stall({});
    await slow.stop();
    await fast.stop();
  }
});

test('a stalled body times out instead of hanging', async () => {
  const sim = await startMarathonSimulator({ apps: [APP] });
  try {
    sim.controls.stall({ apps: 'body' });
    const client = new MarathonClient({ urls: sim.url, timeoutMs: 400, logger: silentLogger() });
    await assert.rejects(client.getApps(), (e: unknown) => codeOf(e) === 'MARATHON_TIMEOUT');
  } finally {
    sim.controls.stall({});
    await sim.stop();
  }
});

describe('malformed answers are typed errors, never "no apps"', () => {
  const cases: Array<[string, (res: import('node:http').ServerResponse) => void, string, RegExp?]> = [
    [
      'wrong content type',
      (res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end('{"apps":[]}');
      },
      'MARATHON_BAD_CONTENT_TYPE',
      /but found "application\/octet-stream" instead/,
    ],
    [
      'missing content type',
      (res) => {
        res.removeHeader('Content-Type');
        res.writeHead(200);
        res.end('{"apps":[]}');
      },
      'MARATHON_BAD_CONTENT_TYPE',
      /header not found in response/,
    ],
    [
      'content type with params is fine but the LAST value counts',
      (res) => {
        res.writeHead(200, [
          ['Content-Type', 'application/json'],
          ['Content-Type', 'text/html; charset=utf-8'],
        ]);
        res.end('{"apps":[]}');
      },
      'MARATHON_BAD_CONTENT_TYPE',
    ],
    [
      'missing apps field',
      (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"other-field-key":"do-not-care"}');
      },
      'MARATHON_BAD_RESPONSE',
    ],
    [
      'apps not a list',
      (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"apps":{}}');
      },
      'MARATHON_BAD_RESPONSE',
    ],
    [
      'not JSON',
      (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('<html>');
      },
      'MARATHON_BAD_RESPONSE',
    ],
    [
      '404',
      (res) => {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{}');
      },
      'MARATHON_HTTP_STATUS',
      /404 Client Error for url: /,
    ],
    [
      '202 is not 200',
      (res) => {
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end('{"apps":[]}');
      },
      'MARATHON_HTTP_STATUS',
    ],
  ];
  for (const [name, handler, code, message] of cases) {
    test(name, async () => {
      const srv = await rawServer((_req, res) => handler(res));
      try {
        const client = new MarathonClient({ urls: srv.url, logger: silentLogger() });
        await assert.rejects(client.getApps(), (e: unknown) => {
          assert.equal(codeOf(e), code);
          if (message) assert.match((e as Error).message, message);
          if (code === 'MARATHON_BAD_RESPONSE') assert.equal((e as AppError).details['url'], `${srv.url}/v2/apps`);
          return true;
        });
      } finally {
        await srv.close();
      }
    });
  }
});

test('openEvents: exact Accept, sorted event_type filters, Cache-Control: no-store', async () => {
  const sim = await startMarathonSimulator({ apps: [] });
  try {
    const client = new MarathonClient({ urls: sim.url, logger: silentLogger() });
    const ev = await client.openEvents(['event_stream_attached', 'api_post_event']);
    assert.equal(ev.response.statusCode, 200);
    ev.response.destroy();
    const req = sim.controls.requests().find((r) => r.path === '/v2/events')!;
    assert.equal(req.headers['accept'], 'text/event-stream');
    assert.equal(req.headers['cache-control'], 'no-store');
    assert.equal(req.query, '?event_type=api_post_event&event_type=event_stream_attached');
  } finally {
    await sim.stop();
  }
});

test("openEvents follows a standby's 302 to the leader; non-200 and wrong type are errors", async () => {
  const leader = await startMarathonSimulator({ apps: [APP] });
  const standby = await startMarathonSimulator({ standbyOf: leader.url });
  try {
    const client = new MarathonClient({ urls: standby.url, logger: silentLogger() });
    const ev = await client.openEvents(['api_post_event']);
    assert.ok(ev.url.startsWith(`${leader.url}/v2/events?event_type=api_post_event`), ev.url);
    ev.response.destroy();
    assert.deepEqual(await client.getApps(), [APP], 'standby proxies the API to the leader');

    const srv = await rawServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await assert.rejects(
      new MarathonClient({ urls: srv.url, logger: silentLogger() }).openEvents(['x']),
      (e: unknown) => codeOf(e) === 'MARATHON_BAD_CONTENT_TYPE',
    );
    await srv.close();
    const loop = await rawServer((req, res) => {
      res.writeHead(302, { Location: req.url ?? '/' });
      res.end();
    });
    await assert.rejects(
      new MarathonClient({ urls: loop.url, logger: silentLogger() }).openEvents(['x']),
      (e: unknown) => codeOf(e) === 'MARATHON_REDIRECT',
    );
    await loop.close();
  } finally {
    await standby.stop();
    await leader.stop();
  }
});

test('credentials go along to the leader after the 302 when it is a configured URL; a stalled stream endpoint fails over', async () => {
  const creds = { username: 'u', password: 'p' };
  const leader = await startMarathonSimulator({ basicAuth: creds });
  const standby = await startMarathonSimulator({ basicAuth: creds, standbyOf: leader.url });
  const stalled = await startMarathonSimulator({});
  try {
    const withCreds = (u: string): string => u.replace('http://', () => 'http://u:p@');
    const client = new MarathonClient({
      urls: [withCreds(standby.url), withCreds(leader.url)],
      logger: silentLogger(),
    });
    const ev = await client.openEvents(['api_post_event']);
    assert.equal(ev.response.statusCode, 200);
    assert.ok(ev.url.startsWith(leader.url), ev.url);
    assert.ok(!ev.url.includes('u:p@'));
    ev.response.destroy();
    assert.equal(
      leader.controls.requests().at(-1)!.headers['authorization'],
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );

    stalled.controls.stall({ eventsConnect: true });
    const failover = new MarathonClient({
      urls: [stalled.url, withCreds(leader.url)],
      timeoutMs: 300,
      logger: silentLogger(),
    });
    const ev2 = await failover.openEvents(['api_post_event']);
    assert.ok(ev2.url.startsWith(leader.url));
    assert.equal(failover.preferredIndex, 1);
    ev2.response.destroy();
  } finally {
    stalled.controls.stall({});
    await stalled.stop();
    await standby.stop();
    await leader.stop();
  }
});

test('a redirect to an origin that is not a configured Marathon URL never carries the token or Basic credentials', async () => {
  const elsewhere = await startMarathonSimulator({});
  const tokenStandby = await startMarathonSimulator({ token: 'secret-token', standbyOf: elsewhere.url });
  const basicStandby = await startMarathonSimulator({
    basicAuth: { username: 'u', password: 'p' },
    standbyOf: elsewhere.url,
  });
  try {
    const { logger, lines } = memoryLogger('debug');
    const viaToken = new MarathonClient({ urls: tokenStandby.url, token: 'secret-token', logger });
    const ev = await viaToken.openEvents(['api_post_event']);
    assert.ok(ev.url.startsWith(elsewhere.url), 'the redirect is followed');
    ev.response.destroy();
    const viaBasic = new MarathonClient({ urls: basicStandby.url.replace('http://', 'http://u:p@'), logger });
    const ev2 = await viaBasic.openEvents(['api_post_event']);
    ev2.response.destroy();
    const seen = elsewhere.controls.requests().filter((r) => r.path === '/v2/events');
    assert.equal(seen.length, 2);
    for (const r of seen) assert.equal(r.headers['authorization'], undefined, 'no credentials to another origin');
    // The standbys themselves did get them.
    assert.equal(tokenStandby.controls.requests()[0]!.headers['authorization'], 'token=secret-token');
    const follow = lines().filter((l) => l.includes('following marathon redirect'));
    assert.ok(follow.length === 2 && follow.every((l) => l.includes('"credentials":false')), follow.join('\n'));
    assert.ok(!lines().some((l) => l.includes('secret-token') || l.includes('u:p@')), 'no secret in the logs');
  } finally {
    await basicStandby.stop();
    await tokenStandby.stop();
    await elsewhere.stop();
  }
});
