/**
 * Importing a private key PEM quickly. OpenSSL 3's PEM/DER decoders cost about 0.45 ms per key (a
 * provider lookup and a try of every decoder), which made reading 5,000 bundles at start-up take
 * seconds; importing the same key as a JWK goes straight to the key-building calls (about 0.09 ms
 * for P-256, 0.007 ms for RSA). So the DER is read here (PKCS#8, PKCS#1 and SEC1: the labels a
 * bundle may hold) into a JWK, and OpenSSL builds the key from that.
 *
 * Contract: `importPrivateKey(pem)` returns the key `createPrivateKey(pem)` returns: same type, same
 * curve or modulus, same public key (so `X509Certificate.checkPrivateKey` answers the same), and
 * throws where it throws. The JWK route is taken only for the shapes read here: EC keys on P-256,
 * P-384 or P-521 that carry their public point uncompressed, and two-prime RSA keys; anything else
 * (another algorithm, no or a compressed public point, a multi-prime RSA key, DER that does not read)
 * goes to `createPrivateKey(pem)` unchanged, and so does any encoding that is not canonical DER of exactly
 * these structures (each one is rebuilt from its parts and must equal the input byte for byte: no
 * extra, repeated or reordered elements, no long lengths, no padded integers, no base64 beyond the
 * DER). Like the PEM decoder, neither route checks that the
 * private scalar belongs to the public point (checkPrivateKey compares public keys, as HAProxy's
 * `SSL_CTX_check_private_key` does).
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { children, readTlv, seq, tlv, type Tlv } from './der.js';

/** `createPrivateKey(pem)`, through a JWK when the DER allows it (see the contract above). */
export function importPrivateKey(pem: string): KeyObject {
  const jwk = privateKeyJwk(pem);
  if (jwk) {
    try {
      return createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      // Not what the DER reading expected (e.g. a point off the curve): OpenSSL's own decoder decides.
    }
  }
  return createPrivateKey(pem);
}

/** The JWK of a private key PEM block, or undefined when it is not one of the shapes read here. Never throws. */
export function privateKeyJwk(pem: string): JsonWebKey | undefined {
  const m = /^-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END \1-----\s*$/.exec(pem);
  if (!m) return undefined;
  try {
    const body = m[2]!.replace(/\r?\n/g, '');
    const der = Buffer.from(body, 'base64');
    // Buffer.from stops at padding and skips junk; only base64 that is exactly this DER is read here.
    if (der.toString('base64') !== body) return undefined;
    const top = readTlv(der, 0);
    if (top.end !== der.length) return undefined;
    if (m[1] === 'RSA PRIVATE KEY') return rsaJwk(der, top);
    if (m[1] === 'EC PRIVATE KEY') return ecJwk(der, top, undefined);
    return pkcs8Jwk(der, top);
  } catch {
    return undefined;
  }
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const BIT_STRING = 0x03;
const OID = 0x06;
const NULL = 0x05;

/** OID contents (X.690 §8.19, without tag and length). */
const OIDS = {
  ecPublicKey: '2a8648ce3d0201', // 1.2.840.10045.2.1
  rsaEncryption: '2a864886f70d010101', // 1.2.840.113549.1.1.1
};
/** Named curves: OID contents → JWK `crv` and the byte length of a coordinate. */
const CURVES = new Map<string, { crv: string; size: number }>([
  ['2a8648ce3d030107', { crv: 'P-256', size: 32 }], // prime256v1
  ['2b81040022', { crv: 'P-384', size: 48 }], // secp384r1
  ['2b81040023', { crv: 'P-521', size: 66 }], // secp521r1
]);

function content(der: Buffer, t: Tlv): Buffer {
  return der.subarray(t.contentStart, t.end);
}

function expect(t: Tlv | undefined, tag: number): Tlv {
  if (t?.tag !== tag) throw new RangeError('DER: unexpected structure');
  return t;
}

/** PKCS#8 PrivateKeyInfo (RFC 5208 §5; RFC 5958 OneAsymmetricKey v2 too). */
function pkcs8Jwk(der: Buffer, top: Tlv): JsonWebKey | undefined {
  const [version, alg, key] = children(der, expect(top, SEQUENCE));
  if (content(der, expect(version, INTEGER)).toString('hex') !== '00') return undefined;
  const [algOid, params] = children(der, expect(alg, SEQUENCE));
  const algorithm = content(der, expect(algOid, OID));
  const inner = content(der, expect(key, OCTET_STRING));
  if (params === undefined) return undefined;
  const rebuilt = seq(
    tlv(INTEGER, Buffer.from([0])),
    seq(tlv(OID, algorithm), tlv(params.tag, content(der, params))),
    tlv(OCTET_STRING, inner),
  );
  if (!canonical(der, top, rebuilt)) return undefined;
  const innerTop = readTlv(inner, 0);
  if (innerTop.end !== inner.length) return undefined;
  const algHex = algorithm.toString('hex');
  if (algHex === OIDS.rsaEncryption && params.tag === NULL && params.end === params.contentStart)
    return rsaJwk(inner, innerTop);
  if (algHex === OIDS.ecPublicKey && params.tag === OID)
    return ecJwk(inner, innerTop, content(der, params).toString('hex'));
  return undefined;
}

/** True when `rebuilt` (the structure rebuilt from its parts) is byte for byte the TLV `t` of `der`. */
function canonical(der: Buffer, t: Tlv, rebuilt: Buffer): boolean {
  return rebuilt.equals(der.subarray(t.start, t.end));
}

/** SEC1 ECPrivateKey (RFC 5915 §3): version 1, the scalar, [0] the curve, [1] the public point. */
function ecJwk(der: Buffer, top: Tlv, curveOid: string | undefined): JsonWebKey | undefined {
  const [version, d, ...rest] = children(der, expect(top, SEQUENCE));
  if (content(der, expect(version, INTEGER)).toString('hex') !== '01') return undefined;
  const scalar = content(der, expect(d, OCTET_STRING));
  // [0] the curve, then [1] the public point, each optional, nothing else.
  const named = rest[0]?.tag === 0xa0 ? rest.shift() : undefined;
  const pub = rest[0]?.tag === 0xa1 ? rest.shift() : undefined;
  if (rest.length > 0) return undefined;
  const namedOid = named && content(der, expect(readTlv(der, named.contentStart), OID));
  const bits = pub && content(der, expect(readTlv(der, pub.contentStart), BIT_STRING));
  const rebuilt = seq(
    tlv(INTEGER, Buffer.from([1])),
    tlv(OCTET_STRING, scalar),
    ...(namedOid ? [tlv(0xa0, tlv(OID, namedOid))] : []),
    ...(bits ? [tlv(0xa1, tlv(BIT_STRING, bits))] : []),
  );
  if (!canonical(der, top, rebuilt)) return undefined;
  const namedHex = namedOid?.toString('hex');
  if (curveOid !== undefined && namedHex !== undefined && namedHex !== curveOid) return undefined;
  const curve = curveOid ?? namedHex;
  if (bits !== undefined && bits[0] !== 0) return undefined;
  const point = bits?.subarray(1);
  const c = curve === undefined ? undefined : CURVES.get(curve);
  // Without an uncompressed point the public key would have to be computed: OpenSSL's decoder does that.
  if (!c || !point || point.length !== 1 + 2 * c.size || point[0] !== 0x04) return undefined;
  if (scalar.length === 0 || scalar.length > c.size) return undefined;
  const padded = Buffer.concat([Buffer.alloc(c.size - scalar.length), scalar]);
  return {
    kty: 'EC',
    crv: c.crv,
    x: point.subarray(1, 1 + c.size).toString('base64url'),
    y: point.subarray(1 + c.size).toString('base64url'),
    d: padded.toString('base64url'),
  };
}

/** PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2), two primes only (version 0). */
function rsaJwk(der: Buffer, top: Tlv): JsonWebKey | undefined {
  const fields = children(der, expect(top, SEQUENCE));
  if (fields.length !== 9) return undefined;
  const ints = fields.map((f) => content(der, expect(f, INTEGER)));
  if (ints[0]!.toString('hex') !== '00') return undefined;
  if (!canonical(der, top, seq(...ints.map((v) => tlv(INTEGER, v))))) return undefined;
  const [n, e, d, p, q, dp, dq, qi] = ints.slice(1).map(unsigned);
  if ([n, e, d, p, q, dp, dq, qi].some((v) => v === undefined)) return undefined;
  const b = (v: Buffer | undefined) => v!.toString('base64url');
  return { kty: 'RSA', n: b(n), e: b(e), d: b(d), p: b(p), q: b(q), dp: b(dp), dq: b(dq), qi: b(qi) };
}

/**
 * A DER INTEGER's magnitude without the sign byte; undefined for a negative, empty or padded one (DER
 * has a single minimal encoding: a leading 0x00 only before a byte whose top bit is set).
 */
function unsigned(v: Buffer): Buffer | undefined {
  if (v.length === 0 || (v[0]! & 0x80) !== 0) return undefined;
  if (v[0] === 0 && v.length > 1) return (v[1]! & 0x80) !== 0 ? v.subarray(1) : undefined;
  return v;
}
