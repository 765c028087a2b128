import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../../../../src/domain/types.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { acceptDomain, API_DOMAINS_FILE, ApiDomainsSource } from '../../../../src/sources/api/api-source.js';
import { makeTempDir, removeTempDir } from '../../../support/temp-dirs.js';

const cases: [string, string, string[], string[], string | undefined][] = [
  ['the name comes first, once', 'a.example', ['www.a.example', 'a.example'], [], undefined],
  ['names are normalised', 'A.Example.', ['WWW.a.example'], [], undefined],
  ['an invalid name refuses the whole request', 'a.example', ['bad_name!'], [], 'INVALID_NAME'],
  ['a percent-escape is refused as given', 'a.example', ['evil%2eexample'], [], 'INVALID_NAME'],
  ['outside --allowed-domains', 'a.example', [], ['example.org'], 'DOMAIN_NOT_ALLOWED'],
  ['inside --allowed-domains', 'a.example.org', [], ['example.org'], undefined],
];
for (const [what, name, raw, allowed, code] of cases)
  test(`acceptDomain: ${what}`, () => {
    const r = acceptDomain(name, raw, allowed);
    if (code === undefined) {
      assert.ok(r.ok);
      assert.equal(r.names[0], r.name);
      assert.equal(new Set(r.names).size, r.names.length);
      assert.equal(r.name, name.toLowerCase().replace(/\.$/, ''));
    } else {
      assert.ok(!r.ok);
      assert.match(r.code, new RegExp(code === 'INVALID_NAME' ? 'INVALID|NAME' : code));
    }
  });

test('API domains are persisted, announced as snapshots with requested_by api, and read back at start', async (t) => {
  const dir = makeTempDir('api-domains-');
  t.after(() => removeTempDir(dir));
  const ac = new AbortController();
  t.after(() => ac.abort());
  const source = new ApiDomainsSource(dir, [], silentLogger());
  const snapshots = await started(source, ac.signal);
  assert.deepEqual(snapshots.at(-1)?.specs, [], 'an empty snapshot at start');
  const put = await source.put('a.example', ['www.a.example']);
  assert.ok(put.ok && put.created);
  assert.ok((await source.put('a.example', ['www.a.example'])).ok);
  assert.deepEqual(snapshots.at(-1)?.specs, [
    { name: 'a.example', names: ['a.example', 'www.a.example'], requestedBy: [{ source: 'api' }] },
  ]);
  const file = JSON.parse(await readFile(join(dir, API_DOMAINS_FILE), 'utf8'));
  assert.deepEqual(file, { version: 1, domains: { 'a.example': ['a.example', 'www.a.example'] } });
  await source.put('b.example', []);
  assert.deepEqual(await source.remove('b.example'), ['b.example']);
  assert.equal(await source.remove('b.example'), undefined);
  const again = new ApiDomainsSource(dir, [], silentLogger());
  const seen = await started(again, ac.signal);
  assert.deepEqual(
    seen.at(-1)?.specs.map((s) => s.name),
    ['a.example'],
    'read back after a restart',
  );
});

/** Run `source`; resolves with the list its snapshots go to, once the first has arrived. */
function started(source: ApiDomainsSource, signal: AbortSignal): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  return new Promise((resolve, reject) => {
    void source.run(signal, {
      onSnapshot: (s) => {
        snapshots.push(s);
        resolve(snapshots);
      },
      onError: reject,
    });
  });
}

const wildcards: [string, boolean, string | undefined][] = [
  ['a wildcard without DNS-01 is refused, as for labels', false, 'WILDCARD_NOT_SUPPORTED'],
  ['a wildcard with DNS-01 (--dns-provider) is accepted with its base name', true, undefined],
];
for (const [what, allowWildcard, code] of wildcards)
  test(`acceptDomain: ${what}`, () => {
    const r = acceptDomain('*.apps.example', ['apps.example'], [], allowWildcard);
    if (code === undefined) assert.deepEqual(r.ok && r.names, ['*.apps.example', 'apps.example']);
    else assert.equal(!r.ok && r.code, code);
  });
