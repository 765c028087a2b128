/**
 * Certificate records keep no leaf PEM (StoredCert.certId, Store.readLeafPem): ARI asks by the id read
 * with the bundle, and a revocation reads the leaf from its bundle while it still holds that serial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { StoredCert } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/lib/logger.js';
import { installedPem } from '../../../src/reconciler/actions.js';
import { MemStore, VirtualTime, snap, spec, storedCert } from '../../support/fakes.js';
import { setup, started } from '../../support/reconciler.js';

/** A logger whose JSON lines are kept. */
function capturing(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(c: Buffer, _e, cb) {
      for (const l of c.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ destination, format: 'json', level: 'info' }), lines };
}

test('ARI is asked by the certificate id read with the bundle', async (t) => {
  const s = started(t);
  const asked: string[] = [];
  s.issuer.ari = (certId) => {
    asked.push(certId);
    return null;
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => asked.length === 1, 'renewal information asked');
  assert.deepEqual(asked, [s.store.certs.get('a.example')!.certId]);
  assert.equal(asked[0], 'id-serial-1');
  await s.stop();
});

test('ARI: a certificate without an id (no AKI) is never asked about; its check fails and waits, as before', async (t) => {
  const time = new VirtualTime(t);
  const store = new MemStore(time.now);
  store.certs.set('a.example', storedCert('a.example', time.now()));
  const { logger, lines } = capturing();
  const s = setup(time, { logger }, store);
  let asked = 0;
  s.issuer.ari = () => {
    asked++;
    return null;
  };
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  const failed = () => lines.filter((l) => l['msg'] === 'renewal information request failed');
  await time.until(() => failed().length === 1, 'the check failed');
  await time.advance(10 * 60_000, 1000);
  assert.equal(failed().length, 1, 'deferred (an hour), not retried at once');
  const line = failed()[0]!;
  assert.equal(line['domain'], 'a.example');
  assert.equal((line['err'] as { code?: string }).code, 'ACME_BAD_CERTIFICATE');
  assert.equal(asked, 0, 'the CA is never asked');
  assert.equal(s.issuer.requests.length, 0, 'nothing ordered');
  assert.equal(s.r.status().ariSupported, undefined, 'the CA is not judged by it');
  await s.stop();
});

test('--revoke-removed reads the leaf from the bundle; a bundle that no longer holds it is archived unrevoked', async (t) => {
  const { logger, lines } = capturing();
  const s = started(t, { removeAfterMs: 1000, revokeRemoved: true, logger });
  s.r.setSnapshot('marathon', snap(spec('a.example'), spec('b.example'), spec('c.example')));
  await s.time.until(() => s.store.certs.size === 3, 'installed');
  const serials = new Map([...s.store.certs.values()].map((c) => [c.name, c.serial]));
  const read = s.store.readLeafPem.bind(s.store);
  // c.example's file was replaced behind the daemon's back: it holds another certificate now.
  s.store.readLeafPem = async (name, serial) => (name === 'c.example' ? undefined : read(name, serial));
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.states.get('c.example')?.unwantedSince !== undefined, 'grace started');
  await s.time.advance(2000, 100);
  s.r.setSnapshot('marathon', snap(spec('a.example')));
  await s.time.until(() => s.store.archived.length === 2, 'both archived');
  assert.deepEqual(s.issuer.revoked, [serials.get('b.example')], "b's leaf as read from its bundle");
  assert.deepEqual(
    s.events.of('revoked').map((e) => e.name),
    ['b.example'],
  );
  const warned = lines.find((l) => l['msg'] === 'certificate file changed, not revoked; archiving anyway');
  assert.equal(warned?.['domain'], 'c.example');
  assert.equal(warned?.['serial'], serials.get('c.example'));
  await s.stop();
});

test('installedPem: read from the bundle for the serial the records know; never for the self-signed fallback', async () => {
  const now = Date.now();
  const cases: Array<{ name: string; stored: StoredCert | undefined; file: string | undefined; want?: string }> = [
    { name: 'installed, the file holds it', stored: storedCert('a', now), file: 'PEM', want: 'PEM' },
    { name: 'installed, the file holds another', stored: storedCert('a', now), file: undefined },
    { name: 'nothing installed', stored: undefined, file: 'PEM' },
    { name: 'the self-signed fallback', stored: storedCert('a', now, { selfSigned: true }), file: 'PEM' },
  ];
  for (const c of cases) {
    const asked: Array<[string, string]> = [];
    const store = {
      readLeafPem: async (name: string, serial: string) => {
        asked.push([name, serial]);
        return c.file;
      },
    };
    const records = { stored: new Map(c.stored ? [['a', c.stored]] : []) };
    assert.equal(await installedPem(records, store, 'a'), c.want, c.name);
    const expectAsked = c.stored && !c.stored.selfSigned ? [['a', c.stored.serial]] : [];
    assert.deepEqual(asked, expectAsked, `${c.name}: store asked`);
  }
});
