import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeName,
  encodeQuery,
  parseMessage,
  readName,
  readTxt,
  txtRdata,
  TYPE,
} from '../../../../src/solvers/dns01/wire.js';
import { parseServer } from '../../../../src/solvers/dns01/transport.js';

const NAMES: Array<[string, string]> = [
  ['example.test', '076578616d706c650474657374 00'],
  ['Example.TEST.', '076578616d706c650474657374 00'],
  ['.', '00'],
  ['_acme-challenge.a.b', '0f5f61636d652d6368616c6c656e6765 0161 0162 00'],
];
for (const [name, hex] of NAMES) {
  test(`encodeName(${JSON.stringify(name)}) is lower case, uncompressed`, () =>
    assert.equal(encodeName(name).toString('hex'), hex.replace(/ /g, '')));
}

test('encodeName refuses an empty label and a label over 63 octets', () => {
  assert.throws(() => encodeName('a..b'), RangeError);
  assert.throws(() => encodeName(`${'a'.repeat(64)}.test`), RangeError);
});

test('TXT RDATA splits values over 255 octets into character-strings and joins them back', () => {
  const value = 'v'.repeat(300);
  const rdata = txtRdata(value);
  assert.equal(rdata[0], 255);
  assert.equal(rdata[256], 45);
  assert.equal(readTxt({ name: 'x', type: TYPE.TXT, class: 1, ttl: 0, rdata, rdataOffset: 0 }), value);
});

test('a query has RD only for resolvers', () => {
  assert.equal(encodeQuery(1, 'a.test', TYPE.TXT, true).readUInt16BE(2), 0x0100);
  assert.equal(encodeQuery(1, 'a.test', TYPE.TXT, false).readUInt16BE(2), 0);
});

test('readName follows compression pointers and refuses loops', () => {
  const msg = Buffer.from('0474657374000161c000', 'hex'); // "test" at 0, "a" + pointer to 0 at 6
  assert.deepEqual(readName(msg, 6), { name: 'a.test', next: 10 });
  const loop = Buffer.from('c000', 'hex');
  assert.throws(() => readName(loop, 0), /loop/);
});

test('parseMessage refuses truncated input instead of reading past it', () => {
  const q = encodeQuery(9, 'a.test', TYPE.TXT, false);
  assert.throws(() => parseMessage(q.subarray(0, q.length - 3)), RangeError);
  assert.throws(() => parseMessage(Buffer.alloc(5)), RangeError);
  assert.equal(parseMessage(q).id, 9);
});

const SERVERS: Array<[string, ReturnType<typeof parseServer>]> = [
  ['127.0.0.1', { host: '127.0.0.1', port: 53 }],
  ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
  ['ns1.example.com:53', { host: 'ns1.example.com', port: 53 }],
  ['[::1]:5353', { host: '::1', port: 5353 }],
  ['::1', { host: '::1', port: 53 }],
  ['host:0', null],
  ['host:99999', null],
  ['', null],
];
for (const [raw, want] of SERVERS) {
  test(`parseServer(${JSON.stringify(raw)})`, () => assert.deepEqual(parseServer(raw), want));
}
