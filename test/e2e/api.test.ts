/**
 * The operator API end to end: the real daemon (child process) with Pebble validating HTTP-01 through
 * HAProxy, the Marathon simulator and the marathon-lb stand-in. A certificate made to fail shows Pebble's
 * own detail; renew changes the served serial; revoke revokes at Pebble and serves a replacement;
 * PUT/DELETE domains; the history survives a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from '../../src/lib/tokens.js';
import { app, type Stack, startStack } from '../support/stack.js';
import { makeTempDir, removeTempDir } from '../support/temp-dirs.js';

const WRITE = 'e2e-write-token-0123456789';
const ADMIN = 'e2e-admin-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cert {
  name: string;
  state: string;
  serial: string | null;
  requested_by: { source: string }[];
  last_error: { type: string | null; detail: string } | null;
  next_attempt: string | null;
  removal_at: string | null;
  history?: { id: number; type: string; at: string }[];
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

test('operator API against the real stack', { timeout: 300_000 }, async (t) => {
  const tokensDir = makeTempDir('api-tokens-');
  t.after(() => removeTempDir(tokensDir));
  const tokensFile = join(tokensDir, 'tokens');
  writeFileSync(tokensFile, `ops write ${hashToken(WRITE)}\nsec admin ${hashToken(ADMIN)}\n`);
  const stack: Stack = await startStack({
    apps: [app('/api/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.api.test' })],
    daemonArgs: ['--api-tokens-file', tokensFile, '--backoff-min', '1', '--backoff-max', '3', '--remove-after', '3600'],
  });
  t.after(() => stack.stop());
  const get = async (name: string): Promise<Cert> => {
    const r = await fetch(`${stack.daemonUrl}/api/v1/certificates/${name}`);
    if (r.status !== 200) throw new Error(`GET ${name}: ${r.status}`);
    return (await r.json()) as Cert;
  };
  const act = (method: string, path: string, token: string, body?: unknown) =>
    fetch(stack.daemonUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  const first = await stack.waitServed('a.api.test');
  await t.test('a certificate is listed with its serial, issuer and requester', async () => {
    const c = await until('a.api.test valid', async () => {
      const c = await get('a.api.test');
      return c.state === 'valid' ? c : undefined;
    });
    assert.equal(c.serial, first.serial);
    assert.deepEqual(c.requested_by, [{ source: 'marathon', app_id: '/api/a', port_index: 0 }]);
    const list = (await (await fetch(`${stack.daemonUrl}/api/v1/certificates`)).json()) as Cert[];
    assert.deepEqual(
      list.map((x) => x.name),
      ['a.api.test'],
    );
  });

  await t.test('renew now changes the served serial', async () => {
    const r = await act('POST', '/api/v1/certificates/a.api.test/renew', WRITE);
    assert.equal(r.status, 202);
    const { event_id } = (await r.json()) as { event_id: number };
    assert.ok(event_id > 0);
    const renewed = await stack.waitServed('a.api.test', { notSerial: first.serial });
    assert.notEqual(renewed.serial, first.serial);
    const c = await until('history with the installation', async () => {
      const c = await get('a.api.test');
      return c.history?.some((e) => e.type === 'installed' && e.id > event_id) ? c : undefined;
    });
    assert.ok(c.history?.some((e) => e.id === event_id && e.type === 'renew_requested'));
    const chain = c.history!.filter((e) => e.id > event_id).map((e) => e.type);
    for (const step of ['requested', 'ordered', 'finalized', 'installed'])
      assert.ok(chain.includes(step), `the renewal's history has ${step}: ${chain.join(', ')}`);
    // Pebble may reuse the first order's valid authorization for the renewal: the challenges are in the first one.
    const all = c.history!.map((e) => e.type);
    for (const step of ['challenge_presented', 'challenge_validated'])
      assert.ok(all.includes(step), `the history has ${step}: ${all.join(', ')}`);
    const ordered = c.history!.find((e) => e.id > event_id && e.type === 'ordered') as unknown as { order_url: string };
    assert.match(ordered.order_url, /^https:\/\/127\.0\.0\.1:\d+\//);
  });

  await t.test('PUT a domain: issued and served, requested by the API', async () => {
    const r = await act('PUT', '/api/v1/domains/d.api.test', WRITE, { names: ['d.api.test', 'www.d.api.test'] });
    assert.equal(r.status, 201, await r.clone().text());
    await stack.waitServed('d.api.test', { names: ['d.api.test', 'www.d.api.test'] });
    assert.deepEqual((await get('d.api.test')).requested_by, [{ source: 'api' }]);
    const bad = await act('PUT', '/api/v1/domains/x.api.test', WRITE, { names: ['not a name'] });
    assert.equal(bad.status, 400);
  });

  await t.test("a certificate made to fail shows Pebble's detail and the next attempt", async () => {
    await stack.pebble.addA('bad.api.test', '127.0.0.2');
    assert.equal((await act('PUT', '/api/v1/domains/bad.api.test', WRITE, { names: ['bad.api.test'] })).status, 201);
    const c = await until('a failure with its detail', async () => {
      const c = await get('bad.api.test');
      return c.last_error ? c : undefined;
    });
    assert.equal(c.state, 'failing');
    assert.match(
      c.last_error!.type ?? '',
      /urn:ietf:params:acme:error:(connection|unauthorized)/,
      JSON.stringify(c.last_error),
    );
    assert.match(c.last_error!.detail, /127\.0\.0\.2/, "Pebble's own words name the address it tried");
    assert.ok(c.next_attempt, 'the next attempt is shown');
    const failed = await until('the failed challenge in the history', async () => {
      const h = (await get('bad.api.test')).history ?? [];
      return h.find((e) => e.type === 'challenge_failed') as unknown as { detail: string } | undefined;
    });
    assert.match(failed.detail, /127\.0\.0\.2/);
  });

  await t.test('revoke: revoked at Pebble, a replacement is served', async () => {
    const before = await stack.served('a.api.test');
    assert.equal(
      (await act('POST', '/api/v1/certificates/a.api.test/revoke', WRITE, { reason: 'keyCompromise' })).status,
      403,
    );
    const r = await act('POST', '/api/v1/certificates/a.api.test/revoke', ADMIN, { reason: 'keyCompromise' });
    assert.equal(r.status, 202, await r.clone().text());
    const status = await stack.pebble.management(`/cert-status-by-serial/${before.serial}`);
    assert.match(status.body, /"Status":\s*"Revoked"/i);
    const replaced = await stack.waitServed('a.api.test', { notSerial: before.serial });
    assert.notEqual(replaced.serial, before.serial);
    assert.ok((await get('a.api.test')).history?.some((e) => e.type === 'revoked'));
  });

  await t.test('DELETE a domain: unwanted, removal scheduled after the grace', async () => {
    const r = await act('DELETE', '/api/v1/domains/d.api.test', WRITE);
    assert.equal(r.status, 200);
    // The state is `unwanted` as soon as the source no longer lists it; `removal_at` follows once the
    // reconciler has recorded when it became unwanted (the next pass), so wait for both.
    const c = await until('d.api.test unwanted, removal scheduled', async () => {
      const c = await get('d.api.test');
      return c.state === 'unwanted' && c.removal_at ? c : undefined;
    });
    assert.ok(Date.parse(c.removal_at!) > Date.now(), 'removed only after --remove-after');
    assert.equal((await act('DELETE', '/api/v1/domains/d.api.test', WRITE)).status, 404);
  });

  await t.test('the history and the API domains survive a restart', async () => {
    const before = (await get('a.api.test')).history!;
    await stack.restartDaemon();
    const after = await until('the daemon back', async () => get('a.api.test'));
    assert.deepEqual(after.history!.slice(0, before.length), before);
    const bad = await until('bad.api.test still wanted', async () => {
      const c = await get('bad.api.test');
      return c.state !== 'unwanted' ? c : undefined;
    });
    assert.deepEqual(bad.requested_by, [{ source: 'api' }]);
  });
});
