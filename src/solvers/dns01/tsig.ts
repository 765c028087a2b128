/**
 * TSIG (RFC 8945): signing a request and verifying the server's signed answer with HMAC-SHA1/256/512.
 * Pure apart from the clock, which the caller passes (`now`, seconds since the epoch).
 *
 * The MAC of a request covers the unsigned message and the "TSIG variables" (§4.3.3): key name and
 * algorithm in canonical wire form, class ANY, TTL 0, time signed (48 bits), fudge, error, other data.
 * The MAC of an answer covers the request's MAC (length-prefixed), the answer without its TSIG record
 * (ARCOUNT one less, the original ID), and the answer's TSIG variables (§4.3.2, §5.3).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, encodeName, type Message, parseMessage, readName, type ResourceRecord, TYPE } from './wire.js';

/** The algorithms RFC 8945 §6 requires or recommends and lego offers; names as on the wire. */
const ALGORITHMS: Readonly<Record<string, string>> = {
  'hmac-sha1.': 'sha1',
  'hmac-sha224.': 'sha224',
  'hmac-sha256.': 'sha256',
  'hmac-sha384.': 'sha384',
  'hmac-sha512.': 'sha512',
};

export interface TsigKey {
  /** Key name, as configured on the server (`RFC2136_TSIG_KEY`). */
  readonly name: string;
  /** Algorithm name with its trailing dot, e.g. `hmac-sha256.`. */
  readonly algorithm: string;
  readonly secret: Buffer;
}

/** The wire name of an algorithm given as lego does (`hmac-sha256.`, `hmac-sha256`, any case), or null. */
export function normalizeAlgorithm(raw: string): string | null {
  let a = raw.trim().toLowerCase();
  if (!a.endsWith('.')) a += '.';
  return ALGORITHMS[a] === undefined ? null : a;
}

export const DEFAULT_FUDGE = 300;

function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS.ANY, 0); // then TTL 0
  const rest = Buffer.alloc(12);
  rest.writeUIntBE(timeSigned, 0, 6);
  rest.writeUInt16BE(fudge, 6);
  rest.writeUInt16BE(error, 8);
  rest.writeUInt16BE(other.length, 10);
  return Buffer.concat([encodeName(key.name), classTtl, encodeName(key.algorithm), rest, other]);
}

function hmac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const alg = ALGORITHMS[key.algorithm];
  if (alg === undefined) throw new RangeError(`unsupported TSIG algorithm ${key.algorithm}`);
  const h = createHmac(alg, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The TSIG RR's RDATA. */
function tsigRdata(key: TsigKey, timeSigned: number, fudge: number, mac: Buffer, originalId: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUIntBE(timeSigned, 0, 6);
  t.writeUInt16BE(fudge, 6);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(originalId, 0);
  // error 0, other len 0
  return Buffer.concat([encodeName(key.algorithm), t, Buffer.from([mac.length >> 8, mac.length & 0xff]), mac, tail]);
}

/** The MAC of a request (RFC 8945 §4.3.3): HMAC over the unsigned message and the TSIG variables. */
export function requestMac(msg: Buffer, key: TsigKey, timeSigned: number, fudge = DEFAULT_FUDGE): Buffer {
  return hmac(key, [msg, tsigVariables(key, timeSigned, fudge, 0, Buffer.alloc(0))]);
}

/** Sign `msg` (unsigned, its ARCOUNT not counting the TSIG): the signed message and the request MAC. */
export function signMessage(
  msg: Buffer,
  key: TsigKey,
  now: number,
  fudge = DEFAULT_FUDGE,
): { wire: Buffer; mac: Buffer } {
  const mac = requestMac(msg, key, now, fudge);
  const rdata = tsigRdata(key, now, fudge, mac, msg.readUInt16BE(0));
  const rr = Buffer.concat([
    encodeName(key.name),
    u16(TYPE.TSIG),
    u16(CLASS.ANY),
    Buffer.alloc(4),
    u16(rdata.length),
    rdata,
  ]);
  const wire = Buffer.concat([msg, rr]);
  wire.writeUInt16BE(msg.readUInt16BE(10) + 1, 10);
  return { wire, mac };
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The fields of a TSIG RR's RDATA. */
export interface TsigRecord {
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  /** 0, or the TSIG error (BADSIG 16, BADKEY 17, BADTIME 18). */
  readonly error: number;
  readonly other: Buffer;
}

export function readTsig(msg: Buffer, rr: ResourceRecord): TsigRecord {
  const { name, next } = readName(msg, rr.rdataOffset);
  const timeSigned = msg.readUIntBE(next, 6);
  const fudge = msg.readUInt16BE(next + 6);
  const macLen = msg.readUInt16BE(next + 8);
  const mac = msg.subarray(next + 10, next + 10 + macLen);
  let p = next + 10 + macLen;
  const originalId = msg.readUInt16BE(p);
  const error = msg.readUInt16BE(p + 2);
  const otherLen = msg.readUInt16BE(p + 4);
  p += 6;
  return { algorithm: `${name}.`, timeSigned, fudge, mac, originalId, error, other: msg.subarray(p, p + otherLen) };
}

export type TsigVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unsigned' | 'bad-mac' | 'tsig-error'; readonly error?: number };

/**
 * Check the TSIG of an answer to a request signed with `requestMac`. A TSIG error in the answer (the
 * server refused our signature: BADSIG/BADKEY/BADTIME, sent unsigned) is reported as `tsig-error`.
 */
export function verifyResponse(wire: Buffer, parsed: Message, key: TsigKey, requestMac: Buffer): TsigVerdict {
  const last = parsed.additional.at(-1);
  if (last === undefined || last.type !== TYPE.TSIG) return { ok: false, reason: 'unsigned' };
  const t = readTsig(wire, last);
  if (t.error !== 0) return { ok: false, reason: 'tsig-error', error: t.error };
  const body = Buffer.from(wire.subarray(0, parsed.lastAdditionalOffset));
  body.writeUInt16BE(t.originalId, 0);
  body.writeUInt16BE(parsed.additional.length - 1, 10);
  const expected = hmac(key, [
    u16(requestMac.length),
    requestMac,
    body,
    tsigVariables(key, t.timeSigned, t.fudge, t.error, t.other),
  ]);
  if (expected.length !== t.mac.length || !timingSafeEqual(expected, t.mac)) return { ok: false, reason: 'bad-mac' };
  return { ok: true };
}

/** For tests and callers that parse separately. */
export { parseMessage };
