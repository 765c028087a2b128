/**
 * DNS wire format (RFC 1035 §4), only what DNS-01 needs: queries for SOA/NS/TXT/CNAME, RFC 2136 UPDATE
 * messages that add or delete one TXT value, and the parsing of answers. Pure: bytes in, bytes out.
 *
 * Names are written uncompressed and in lower case (the canonical form TSIG signs, RFC 8945 §4.3.3);
 * answers may use compression pointers, which `readName` follows (bounded, so a pointer loop fails).
 */

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, TSIG: 250 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
/** RCODEs (RFC 1035, RFC 2136 §2.2, RFC 8945 §5.2 for the TSIG errors carried in the TSIG RR). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** The RCODE's mnemonic (`REFUSED`), or `RCODE<n>`. */
export function rcodeName(code: number): string {
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

/** One resource record of a message, its RDATA left as bytes (with the whole message for pointers). */
export interface ResourceRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Buffer;
  /** Offset of the RDATA in the message (names inside RDATA may point back into it). */
  readonly rdataOffset: number;
}

export interface Message {
  readonly id: number;
  readonly flags: number;
  readonly rcode: number;
  readonly opcode: number;
  readonly truncated: boolean;
  readonly answers: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  readonly additional: readonly ResourceRecord[];
  /** Offset where the additional section's last record (a TSIG, when present) starts. */
  readonly lastAdditionalOffset: number;
}

/** A name in uncompressed, lower-case wire form. `name` may end with a dot; the root is `.` or ``. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  if (trimmed.length > 0) {
    for (const label of trimmed.toLowerCase().split('.')) {
      const b = Buffer.from(label, 'ascii');
      if (b.length === 0 || b.length > 63) throw new RangeError(`bad DNS label in ${JSON.stringify(name)}`);
      parts.push(Buffer.from([b.length]), b);
    }
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new RangeError('DNS name longer than 255 octets');
  return out;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** One RR in wire form. */
export function encodeRecord(name: string, type: number, cls: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(cls), u32(ttl), u16(rdata.length), rdata]);
}

/** TXT RDATA: the value split into character-strings of at most 255 octets. */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

function header(id: number, flags: number, counts: readonly [number, number, number, number]): Buffer {
  return Buffer.concat([u16(id), u16(flags), ...counts.map(u16)]);
}

/** A standard query for one name and type; `recursion` sets RD (for resolvers, not authoritative servers). */
export function encodeQuery(id: number, name: string, type: number, recursion: boolean): Buffer {
  const flags = recursion ? 0x0100 : 0;
  return Buffer.concat([header(id, flags, [1, 0, 0, 0]), encodeName(name), u16(type), u16(CLASS.IN)]);
}

export interface TxtChange {
  readonly fqdn: string;
  readonly value: string;
  readonly ttl: number;
}

/**
 * An RFC 2136 UPDATE for `zone` (§2.3 zone section: SOA IN): adds (§2.5.1, class IN) or deletes the one
 * RR with this value (§2.5.4, class NONE, TTL 0) — never the whole RRset, so another order's value of the
 * same owner stays. No prerequisites. Unsigned: see tsig.ts to sign it.
 */
export function encodeTxtUpdate(id: number, zone: string, op: 'add' | 'delete', changes: readonly TxtChange[]): Buffer {
  const updates = changes.map((c) =>
    op === 'add'
      ? encodeRecord(c.fqdn, TYPE.TXT, CLASS.IN, c.ttl, txtRdata(c.value))
      : encodeRecord(c.fqdn, TYPE.TXT, CLASS.NONE, 0, txtRdata(c.value)),
  );
  const flags = OPCODE.UPDATE << 11;
  return Buffer.concat([
    header(id, flags, [1, 0, updates.length, 0]),
    encodeName(zone),
    u16(TYPE.SOA),
    u16(CLASS.IN),
    ...updates,
  ]);
}

const MAX_POINTERS = 32;

/** A (possibly compressed) name at `offset`: the name (no trailing dot, lower case) and the offset after it. */
export function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let jumps = 0; ; ) {
    const len = byteAt(msg, pos);
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > MAX_POINTERS) throw new RangeError('DNS name compression loop');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | byteAt(msg, pos + 1);
      continue;
    }
    if (len > 63) throw new RangeError('bad DNS label length');
    if (pos + 1 + len > msg.length) throw new RangeError('DNS message truncated');
    labels.push(msg.toString('latin1', pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function byteAt(msg: Buffer, pos: number): number {
  if (pos >= msg.length) throw new RangeError('DNS message truncated');
  return msg[pos]!;
}

function readRecord(msg: Buffer, offset: number): { rr: ResourceRecord; next: number } {
  const { name, next } = readName(msg, offset);
  if (next + 10 > msg.length) throw new RangeError('DNS message truncated');
  const rdlen = msg.readUInt16BE(next + 8);
  const rdataOffset = next + 10;
  if (rdataOffset + rdlen > msg.length) throw new RangeError('DNS message truncated');
  return {
    rr: {
      name,
      type: msg.readUInt16BE(next),
      class: msg.readUInt16BE(next + 2),
      ttl: msg.readUInt32BE(next + 4),
      rdata: msg.subarray(rdataOffset, rdataOffset + rdlen),
      rdataOffset,
    },
    next: rdataOffset + rdlen,
  };
}

/** Parse a whole message (throws RangeError on malformed input). */
export function parseMessage(msg: Buffer): Message {
  if (msg.length < 12) throw new RangeError('DNS message shorter than its header');
  const flags = msg.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o));
  let pos = 12;
  for (let i = 0; i < counts[0]!; i++) pos = readName(msg, pos).next + 4;
  if (pos > msg.length) throw new RangeError('DNS message truncated');
  const sections: ResourceRecord[][] = [[], [], []];
  let lastAdditionalOffset = -1;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      if (s === 2) lastAdditionalOffset = pos;
      const { rr, next } = readRecord(msg, pos);
      sections[s]!.push(rr);
      pos = next;
    }
  }
  return {
    id: msg.readUInt16BE(0),
    flags,
    rcode: flags & 0x0f,
    opcode: (flags >> 11) & 0x0f,
    truncated: (flags & 0x0200) !== 0,
    answers: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
    lastAdditionalOffset,
  };
}

/** The character-strings of a TXT RDATA, joined (RFC 7208 §3.3 style: one value per record). */
export function readTxt(rr: ResourceRecord): string {
  const parts: string[] = [];
  for (let i = 0; i < rr.rdata.length; ) {
    const len = rr.rdata[i]!;
    parts.push(rr.rdata.toString('utf8', i + 1, i + 1 + len));
    i += 1 + len;
  }
  return parts.join('');
}

/** The target name of a CNAME or NS record, or the MNAME of an SOA record. */
export function readTargetName(msg: Buffer, rr: ResourceRecord): string {
  return readName(msg, rr.rdataOffset).name;
}
