import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certificateIds, isIssuedBy, parseSubjectAltName, parseX509, readLeaf } from '../../../src/pki/x509.js';
import { createCertFactory } from '../../support/cert-factory.js';

test('readLeaf reads names (lower case, CN first), serial, issuer and validity', async () => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['b.example.test', 'A.example.test'], { cn: 'a.example.test' });
  const leaf = readLeaf(issued.certPem);
  const node = new X509Certificate(issued.certPem);
  assert.deepEqual(leaf.names, ['a.example.test', 'b.example.test']);
  assert.equal(leaf.serial, node.serialNumber.toLowerCase());
  assert.match(leaf.issuer, /intermediate/);
  assert.equal(leaf.notAfter.getTime(), new Date(node.validTo).getTime());
  assert.equal(leaf.notBefore.getTime(), new Date(node.validFrom).getTime());
  assert.equal(leaf.selfSigned, false);
  assert.equal(readLeaf(ca.rootPem).selfSigned, true);
  assert.throws(() => readLeaf('junk'), { code: 'CERT_INVALID' });
  assert.throws(() => parseX509('junk'), { code: 'CERT_INVALID' });
});

test('isIssuedBy follows the chain and never throws', async (t) => {
  const ca = await createCertFactory();
  const other = await createCertFactory('other');
  const issued = await ca.issue(['a.example.test']);
  const cases: Array<{ name: string; cert: string; issuer: string; want: boolean }> = [
    { name: 'leaf by intermediate', cert: issued.certPem, issuer: ca.intermediatePem, want: true },
    { name: 'intermediate by root', cert: ca.intermediatePem, issuer: ca.rootPem, want: true },
    { name: 'leaf by root (skips a level)', cert: issued.certPem, issuer: ca.rootPem, want: false },
    { name: 'leaf by another CA', cert: issued.certPem, issuer: other.intermediatePem, want: false },
    { name: 'junk', cert: 'junk', issuer: ca.rootPem, want: false },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isIssuedBy(c.cert, c.issuer), c.want));
});

test("parseSubjectAltName reads Node's SAN text, including JSON-quoted values", async (t) => {
  const cases: Array<{ name: string; text: string; want: Array<{ type: string; value: string }> }> = [
    {
      name: 'plain entries',
      text: 'DNS:a.example, DNS:b.example, IP Address:127.0.0.1',
      want: [
        { type: 'DNS', value: 'a.example' },
        { type: 'DNS', value: 'b.example' },
        { type: 'IP Address', value: '127.0.0.1' },
      ],
    },
    {
      name: 'a quoted value is never split',
      text: 'DNS:"evil, DNS:x.example", DNS:ok.example',
      want: [
        { type: 'DNS', value: 'evil, DNS:x.example' },
        { type: 'DNS', value: 'ok.example' },
      ],
    },
    { name: 'an escaped quote', text: 'DNS:"q\\"uote"', want: [{ type: 'DNS', value: 'q"uote' }] },
    { name: 'empty', text: '', want: [] },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(parseSubjectAltName(c.text), c.want));
  await t.test('text without a colon', () =>
    assert.throws(() => parseSubjectAltName('nonsense'), { code: 'CERT_INVALID' }),
  );
});

test('certificateIds reads the serial octets as encoded; no AKI extension gives undefined', async () => {
  const ca = await createCertFactory();
  const issued = await ca.issue(['a.example.test']);
  const node = new X509Certificate(issued.certPem);
  const ids = certificateIds(node.raw);
  assert.equal(ids.serial.toString('hex'), node.serialNumber.toLowerCase(), 'a positive serial without a 00 byte');
  assert.equal(ids.aki, undefined);
  assert.throws(() => certificateIds(Buffer.from([0x30, 0x05, 0x01])), RangeError);
});
