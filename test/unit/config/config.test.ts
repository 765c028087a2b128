import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import {
  DEFAULTS,
  failureBackoff,
  LE_PRODUCTION,
  LE_STAGING,
  parseListen,
  upgradeAcmeUrl,
} from '../../../src/config/config.js';

test('upgradeAcmeUrl: ACME v1 URLs map to v2', () => {
  assert.deepEqual(upgradeAcmeUrl('https://acme-v01.api.letsencrypt.org/directory'), {
    url: LE_PRODUCTION,
    upgraded: true,
  });
  assert.deepEqual(upgradeAcmeUrl('https://acme-staging.api.letsencrypt.org/directory'), {
    url: 'https://acme-staging.api.letsencrypt.org/directory',
    upgraded: false,
  });
  assert.deepEqual(upgradeAcmeUrl('https://acme-staging-v01.api.letsencrypt.org/directory'), {
    url: LE_STAGING,
    upgraded: true,
  });
});

test('--listen parsing follows 0.6.1', () => {
  const ip = (h: string) => isIP(h) !== 0;
  assert.deepEqual(parseListen(':8080', ip), { port: 8080 });
  assert.deepEqual(parseListen('127.0.0.1:8080', ip), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListen('[::]:8080', ip), { host: '::', port: 8080 });
  assert.deepEqual(parseListen('::1:8080', ip), { host: '::1', port: 8080 });
  for (const bad of ['foobar', 'hello:8080', ':foo', ':0', ':65536', ':'])
    assert.throws(() => parseListen(bad, ip), bad);
});

test('failureBackoff: --backoff-min/--backoff-max with the default shape (5 min doubling to 1 day)', () => {
  assert.deepEqual(
    failureBackoff({ backoffMinMs: DEFAULTS.backoffMin * 1000, backoffMaxMs: DEFAULTS.backoffMax * 1000 }),
    {
      baseMs: 5 * 60_000,
      capMs: 24 * 3600_000,
      factor: 2,
      jitter: 0.25,
    },
  );
});
