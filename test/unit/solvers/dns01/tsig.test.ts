import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  normalizeAlgorithm,
  readTsig,
  requestMac,
  signMessage,
  type TsigKey,
  verifyResponse,
} from '../../../../src/solvers/dns01/tsig.js';
import { encodeTxtUpdate, parseMessage, readTxt, TYPE } from '../../../../src/solvers/dns01/wire.js';

/**
 * Vectors captured from BIND's own `nsupdate -y <alg>:acme-key:<secret>` (9.18, Debian 12): the UPDATE
 * `zone example.test; update add _acme-challenge.a.example.test. 120 TXT "v1"; update delete
 * _acme-challenge.a.example.test. TXT "v2"` as sent on the wire, TSIG included. Our MAC of the same
 * unsigned bytes, at the same time signed, must equal BIND's.
 */
const SECRET = Buffer.from('c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=', 'base64');
const BODY =
  '000001000000020001076578616d706c65047465737400000600010f5f61636d652d6368616c6c656e67650161076578616d706c6504746573740000100001000000780003027631c01e001000fe0000000000030276320861636d652d6b65790000fa00ff0000000000';
const VECTORS = [
  {
    name: 'hmac-sha1',
    hex: `311028${BODY}2f09686d61632d736861310000006b0ff521012c0014e56228060683d03016c44b24c0529ea38db23257311000000000`,
  },
  {
    name: 'hmac-sha256',
    hex: `ce6428${BODY}3d0b686d61632d7368613235360000006b0ff526012c00206e4dd81d6ba56342b77588dc65bb17bfe27a0f0993ee104550f3db1ddcb5c36fce6400000000`,
  },
  {
    name: 'hmac-sha512',
    hex: `9b5128${BODY}5d0b686d61632d7368613531320000006b0ff52b012c00409b3b1f638cdc7537fbe23a1d79fa723c7a80c1c544fee335e62d29bc21f7edfcc4d104ef1e128c2d26cfaca587a87870cf22b147e0768ddf1001f522e004fb2d9b5100000000`,
  },
];

for (const v of VECTORS) {
  test(`TSIG MAC equals nsupdate's (${v.name})`, () => {
    const wire = Buffer.from(v.hex, 'hex');
    const msg = parseMessage(wire);
    const tsigRr = msg.additional.at(-1)!;
    assert.equal(tsigRr.type, TYPE.TSIG);
    const t = readTsig(wire, tsigRr);
    assert.equal(t.algorithm, `${v.name}.`);
    const unsigned = Buffer.from(wire.subarray(0, msg.lastAdditionalOffset));
    unsigned.writeUInt16BE(0, 10);
    const key: TsigKey = { name: 'acme-key', algorithm: `${v.name}.`, secret: SECRET };
    assert.deepEqual(requestMac(unsigned, key, t.timeSigned, t.fudge), t.mac);
    // The wrong secret gives another MAC.
    assert.notDeepEqual(requestMac(unsigned, { ...key, secret: Buffer.from('x') }, t.timeSigned, t.fudge), t.mac);
  });
}

test('our UPDATE carries the same records as nsupdate (zone SOA IN; add class IN; delete one value class NONE ttl 0)', () => {
  const theirs = parseMessage(Buffer.from(VECTORS[1]!.hex, 'hex'));
  const ours = parseMessage(
    Buffer.concat([
      encodeTxtUpdate(1, 'example.test', 'add', [{ fqdn: '_acme-challenge.a.example.test', value: 'v1', ttl: 120 }]),
    ]),
  );
  const del = parseMessage(
    encodeTxtUpdate(2, 'example.test.', 'delete', [{ fqdn: '_acme-challenge.a.example.test.', value: 'v2', ttl: 120 }]),
  );
  assert.equal(ours.opcode, 5);
  const pick = (rr: (typeof ours.authority)[number]) => [rr.name, rr.type, rr.class, rr.ttl, readTxt(rr)];
  // The update section is parsed as "authority" (third count).
  assert.deepEqual(pick(ours.authority[0]!), pick(theirs.authority[0]!));
  assert.deepEqual(pick(del.authority[0]!), pick(theirs.authority[1]!));
});

test('signMessage appends one TSIG RR and counts it; verifyResponse checks a signed answer', () => {
  const key: TsigKey = { name: 'k.example', algorithm: 'hmac-sha256.', secret: SECRET };
  const unsigned = encodeTxtUpdate(7, 'example.test', 'add', [
    { fqdn: '_acme-challenge.example.test', value: 'x', ttl: 60 },
  ]);
  const { wire, mac } = signMessage(unsigned, key, 1_700_000_000);
  const msg = parseMessage(wire);
  assert.equal(msg.additional.length, 1);
  const t = readTsig(wire, msg.additional[0]!);
  assert.deepEqual(t.mac, mac);
  assert.equal(t.timeSigned, 1_700_000_000);
  assert.equal(t.originalId, 7);
  // An unsigned answer is reported as such.
  assert.deepEqual(verifyResponse(unsigned, parseMessage(unsigned), key, mac), { ok: false, reason: 'unsigned' });
});

const ALGS: Array<[string, string | null]> = [
  ['hmac-sha256.', 'hmac-sha256.'],
  ['hmac-sha256', 'hmac-sha256.'],
  ['HMAC-SHA512.', 'hmac-sha512.'],
  ['hmac-sha1', 'hmac-sha1.'],
  ['hmac-md5.sig-alg.reg.int.', null],
  ['', null],
];
for (const [raw, want] of ALGS) {
  test(`normalizeAlgorithm(${JSON.stringify(raw)}) = ${want}`, () => assert.equal(normalizeAlgorithm(raw), want));
}
