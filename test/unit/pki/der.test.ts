import { test } from 'node:test';
import assert from 'node:assert/strict';
import { children, oid, readTlv, seq, set, tlv } from '../../../src/pki/der.js';

test('oid encodes dotted forms (X.690 §8.19)', async (t) => {
  const cases: Array<{ name: string; dotted: string; hex: string }> = [
    { name: 'commonName', dotted: '2.5.4.3', hex: '0603550403' },
    { name: 'subjectAltName', dotted: '2.5.29.17', hex: '0603551d11' },
    { name: 'multi-byte arcs', dotted: '1.2.840.113549.1.1.11', hex: '06092a864886f70d01010b' },
    { name: 'ecdsa-with-SHA256', dotted: '1.2.840.10045.4.3.2', hex: '06082a8648ce3d040302' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(oid(c.dotted).toString('hex'), c.hex));
});

test('tlv encodes short and long lengths, and readTlv reads them back', async (t) => {
  const cases: Array<{ name: string; size: number; header: string }> = [
    { name: 'empty', size: 0, header: '0400' },
    { name: 'short form, largest', size: 127, header: '047f' },
    { name: 'long form, one byte', size: 128, header: '048180' },
    { name: 'long form, two bytes', size: 300, header: '0482012c' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const der = tlv(0x04, Buffer.alloc(c.size, 0xab));
      assert.equal(der.subarray(0, c.header.length / 2).toString('hex'), c.header);
      const read = readTlv(der, 0);
      assert.deepEqual(read, { tag: 0x04, start: 0, contentStart: c.header.length / 2, end: der.length });
    });
  }
});

test('children lists the TLVs inside a SEQUENCE and a SET', () => {
  const der = seq(tlv(0x02, Buffer.from([1])), set(tlv(0x05)), tlv(0x0c, Buffer.from('x')));
  const top = readTlv(der, 0);
  assert.equal(top.tag, 0x30);
  assert.deepEqual(
    children(der, top).map((c) => c.tag),
    [0x02, 0x31, 0x0c],
  );
});

test('readTlv rejects truncated and unsupported input with RangeError', async (t) => {
  const cases: Array<{ name: string; hex: string }> = [
    { name: 'empty', hex: '' },
    { name: 'no length', hex: '30' },
    { name: 'content shorter than the length', hex: '300301' },
    { name: 'long-form length cut short', hex: '3082' },
    { name: 'indefinite length (BER, not DER)', hex: '3080' },
    { name: 'length of more than 4 bytes', hex: '308500000000010000' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.throws(() => readTlv(Buffer.from(c.hex, 'hex'), 0), RangeError));
  }
});
