import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBundle } from '../../../src/pki/bundle.js';
import { createCertFactory } from '../../support/cert-factory.js';

test('parseBundle reads key, leaf and chain; the key may come last', async () => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['a.example.test']);
  const parsed = parseBundle(issued.keyPem + issued.certPem + issued.chainPem);
  assert.equal(parsed.keyPem, issued.keyPem);
  assert.deepEqual(parsed.certPems, [issued.certPem, issued.chainPem]);
  assert.deepEqual(parseBundle(issued.certPem + issued.chainPem + issued.keyPem), parsed);
});

test('parseBundle rejects every bundle that is not one key and certificates', async (t) => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['a.example.test']);
  const cases: Array<{ name: string; text: string; code: string }> = [
    { name: 'no key', text: issued.certPem, code: 'PEM_INVALID' },
    { name: 'no certificate', text: issued.keyPem, code: 'PEM_INVALID' },
    { name: 'two keys', text: issued.keyPem + issued.keyPem + issued.certPem, code: 'PEM_INVALID' },
    {
      name: 'an unexpected block',
      text: `${issued.keyPem + issued.certPem}-----BEGIN X-----\nAAAA\n-----END X-----\n`,
      code: 'PEM_INVALID',
    },
    {
      name: 'a key that does not parse',
      text: `-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${issued.certPem}`,
      code: 'PEM_INVALID',
    },
    {
      name: 'a certificate that does not parse',
      text: `${issued.keyPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
      code: 'CERT_INVALID',
    },
  ];
  for (const c of cases) await t.test(c.name, () => assert.throws(() => parseBundle(c.text), { code: c.code }));
});
