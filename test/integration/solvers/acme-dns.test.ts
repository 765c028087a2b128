/**
 * The acme-dns provider against a stand-in following acme-dns's documented API: registration when the
 * storage (lego's format) has no account, the CNAME to create reported, updates with X-Api-User and
 * X-Api-Key, an account reused from a lego storage file, refusals and an outage.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AcmeDnsProvider } from '../../../src/solvers/dns01/acme-dns.js';
import type { TxtRecord } from '../../../src/solvers/dns01/provider.js';
import { txtValue } from '../../../src/solvers/dns01/solver.js';
import { type AcmeDnsStandin, startAcmeDnsStandin } from '../../support/acme-dns-standin.js';
import { freePort } from '../../support/ports.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dirs.js';

let api: AcmeDnsStandin;
let dir: string;
const TIMING = { ttl: 60, propagationTimeoutMs: 1000, pollingIntervalMs: 100, sequenceIntervalMs: 0 };

before(async () => {
  api = await startAcmeDnsStandin();
  dir = makeTempDir('acme-dns-');
});
after(async () => {
  await api?.close();
  if (dir) removeTempDir(dir);
});

const record = (domain: string, ka: string): TxtRecord => ({
  fqdn: `_acme-challenge.${domain}`,
  zone: domain,
  value: txtValue(ka),
  domain,
  token: ka.split('.')[0]!,
  keyAuthorization: ka,
});

test('no account: registers, stores it as lego does (0600), and reports the CNAME to create; then updates', async () => {
  const storagePath = join(dir, 'acme-dns.json');
  const p = new AcmeDnsProvider({ apiBase: api.url, storagePath, timing: TIMING });
  const r = record('www.example.com', 'tok1.thumb');
  await assert.rejects(
    p.present(r, AbortSignal.timeout(5000)),
    (err: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'DNS_CNAME_REQUIRED');
      assert.match(err.message, /_acme-challenge\.www\.example\.com\. CNAME [0-9a-f-]+\.auth\.acme-dns\.test\./);
      return true;
    },
  );
  const stored = JSON.parse(readFileSync(storagePath, 'utf8')) as Record<string, Record<string, unknown>>;
  const acc = stored['www.example.com']!;
  assert.deepEqual(Object.keys(acc).sort(), ['allowfrom', 'fulldomain', 'password', 'subdomain', 'username']);
  assert.equal(statSync(storagePath).mode & 0o777, 0o600);
  // The operator created the CNAME: the next attempt updates with the stored credentials.
  await p.present(r, AbortSignal.timeout(5000));
  const upd = api.requests.at(-1)!;
  assert.equal(upd.path, '/update');
  assert.equal(upd.headers['x-api-user'], acc.username);
  assert.equal(upd.headers['x-api-key'], acc.password);
  assert.deepEqual(upd.body, { subdomain: acc.subdomain, txt: txtValue('tok1.thumb') });
  assert.deepEqual(api.txt.get(acc.subdomain as string), [txtValue('tok1.thumb')]);
  assert.equal(api.requests.filter((q) => q.path === '/register').length, 1);
});

test('an account from an existing lego storage file is used as is; a name and its wildcard share it', async () => {
  const storagePath = join(dir, 'lego.json');
  api.addAccount({ username: 'u-lego', password: 'p-lego', subdomain: 'sub-lego' });
  writeFileSync(
    storagePath,
    JSON.stringify({
      'apps.example.com': {
        username: 'u-lego',
        password: 'p-lego',
        fulldomain: 'sub-lego.auth.acme-dns.test',
        subdomain: 'sub-lego',
        allowfrom: [],
      },
    }),
  );
  const before = api.requests.length;
  const p = new AcmeDnsProvider({ apiBase: `${api.url}/`, storagePath, timing: TIMING });
  await p.present(record('apps.example.com', 'tok2.thumb'), AbortSignal.timeout(5000));
  await p.present(record('apps.example.com', 'tok3.thumb'), AbortSignal.timeout(5000));
  assert.deepEqual(api.txt.get('sub-lego'), [txtValue('tok2.thumb'), txtValue('tok3.thumb')]);
  assert.ok(api.requests.slice(before).every((q) => q.path === '/update'));
});

test('refused credentials are DNS_PROVIDER_FAILED; an unreachable acme-dns is an outage', async () => {
  const storagePath = join(dir, 'bad.json');
  writeFileSync(
    storagePath,
    JSON.stringify({
      'x.example.com': {
        username: 'nobody',
        password: 'wrong',
        fulldomain: 'f.auth.acme-dns.test',
        subdomain: 'f',
        allowfrom: [],
      },
    }),
  );
  const p = new AcmeDnsProvider({ apiBase: api.url, storagePath, timing: TIMING });
  await assert.rejects(
    p.present(record('x.example.com', 'tok4.thumb'), AbortSignal.timeout(5000)),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'DNS_PROVIDER_FAILED');
      assert.ok(!err.message.includes('wrong'), 'the password is never in the error');
      return true;
    },
  );
  const down = new AcmeDnsProvider({ apiBase: `http://127.0.0.1:${await freePort()}`, storagePath, timing: TIMING });
  await assert.rejects(down.present(record('x.example.com', 'tok5.thumb'), AbortSignal.timeout(5000)), {
    code: 'DNS_UNREACHABLE',
    outage: true,
  });
});
