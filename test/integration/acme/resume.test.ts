/**
 * Pending orders resumed by URL against a real Pebble (high availability: a new leader carries on the
 * order its predecessor placed instead of ordering again): an order interrupted after it was persisted
 * is finished with its stored key and no new order; an order already valid is downloaded again; an
 * order the CA does not know is replaced by a new one. Orders are counted in Pebble's own log.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AcmeIssuer } from '../../../src/acme/index.js';
import type { PendingOrder } from '../../../src/domain/contracts.js';
import { isAbortError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { MemoryKeyStore, uniqueName } from '../../support/acme-helpers.js';
import { countNewOrders } from '../../support/ha-stack.js';
import { startHttp01Server, type Http01Server } from '../../support/http01-server.js';
import { startPebble, type PebbleInstance } from '../../support/pebble.js';

const samePublicKey = (keyPem: string, certPem: string): boolean =>
  createPublicKey(createPrivateKey(keyPem))
    .export({ type: 'spki', format: 'der' })
    .equals(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' }));

describe('pending orders resumed by URL (Pebble)', () => {
  let pebble: PebbleInstance;
  let web: Http01Server;
  let issuer: AcmeIssuer;

  before(async () => {
    pebble = await startPebble();
    web = await startHttp01Server(pebble.httpPort);
    issuer = new AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      ca: pebble.caPem,
      accountKey: new MemoryKeyStore(),
      solvers: [web.solver],
      logger: silentLogger(),
      orderTimeoutMs: 20_000,
    });
  });
  after(async () => {
    issuer?.close();
    await web?.close();
    await pebble?.stop();
  });

  it('an order stopped right after it was persisted is finished with its key, without a new order', async () => {
    const name = uniqueName('resume');
    const stop = new AbortController();
    let saved: PendingOrder | undefined;
    const progress = {
      sending: async () => undefined,
      created: () => undefined,
      pending: async (order: PendingOrder) => {
        saved = order;
        stop.abort(); // the leader dies here: the order is accepted, nothing answered or finalized
      },
    };
    await assert.rejects(issuer.issue({ names: [name], keyType: 'ec256', progress }, stop.signal), isAbortError);
    assert.ok(saved, 'the order was handed over for persisting');
    assert.deepEqual(saved.names, [name]);
    const orders = countNewOrders(pebble.log());
    let created = '';
    const cert = await issuer.issue(
      {
        names: [name],
        keyType: 'ec256',
        resume: saved,
        progress: {
          sending: async () => assert.fail('no newOrder'),
          created: (u) => {
            created = u;
          },
        },
      },
      AbortSignal.timeout(20_000),
    );
    assert.equal(created, saved.orderUrl, 'the caller is told the resumed order');
    assert.equal(countNewOrders(pebble.log()), orders, 'no new order was placed');
    assert.equal(cert.keyPem, saved.keyPem);
    assert.ok(samePublicKey(saved.keyPem, cert.certPem), 'finalized with the persisted key');
  });

  it('an order the CA already issued is downloaded again, not ordered', async () => {
    const name = uniqueName('resume-valid');
    let saved: PendingOrder | undefined;
    const first = await issuer.issue(
      {
        names: [name],
        keyType: 'ec384',
        progress: {
          sending: async () => undefined,
          created: () => undefined,
          pending: async (o) => {
            saved = o;
          },
        },
      },
      AbortSignal.timeout(20_000),
    );
    const orders = countNewOrders(pebble.log());
    const again = await issuer.issue({ names: [name], keyType: 'ec384', resume: saved }, AbortSignal.timeout(20_000));
    assert.equal(countNewOrders(pebble.log()), orders);
    assert.equal(new X509Certificate(again.certPem).serialNumber, new X509Certificate(first.certPem).serialNumber);
    assert.equal(again.keyPem, first.keyPem);
  });

  it('an order the CA does not know (or for other names) is replaced by a new order', async () => {
    const name = uniqueName('resume-gone');
    const orders = countNewOrders(pebble.log());
    const bogus: PendingOrder = {
      orderUrl: `${pebble.directoryUrl.replace(/\/dir$/, '')}/my-order/nope`,
      keyPem: 'x',
      names: [name],
    };
    const cert = await issuer.issue({ names: [name], keyType: 'ec256', resume: bogus }, AbortSignal.timeout(20_000));
    assert.equal(countNewOrders(pebble.log()), orders + 1);
    assert.ok(samePublicKey(cert.keyPem, cert.certPem));
    const other: PendingOrder = { ...bogus, names: ['someone-else.test'] };
    await issuer.issue({ names: [name], keyType: 'ec256', resume: other }, AbortSignal.timeout(20_000));
    assert.equal(countNewOrders(pebble.log()), orders + 2);
  });
});
