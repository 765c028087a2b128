/**
 * The few DER (ITU-T X.690) structures the ACME client needs, so the per-order path does not load
 * @peculiar/x509 (its schema machinery alone adds ~15 MB to the process): encoding a PKCS#10 CSR
 * (RFC 2986) and reading a certificate's serial and authority key identifier (RFC 5280 §4.1, §4.2.1.1).
 * Round-trips are checked against openssl in the unit tests.
 */

// ---- encoding ----

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with the given tag byte. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
export const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [a! * 40 + b!];
  for (const n of rest) {
    const parts: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) parts.unshift((v & 0x7f) | 0x80);
    out.push(...parts);
  }
  return tlv(0x06, Buffer.from(out));
}

// ---- decoding ----

export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** Read the TLV at `offset` of `buf` (definite lengths only, as DER requires). */
export function readTlv(buf: Buffer, offset: number): Tlv {
  const tag = buf[offset];
  let lenByte = buf[offset + 1];
  if (tag === undefined || lenByte === undefined) throw new RangeError('DER: truncated');
  let contentStart = offset + 2;
  let len = lenByte;
  if (lenByte & 0x80) {
    const count = lenByte & 0x7f;
    if (count === 0 || count > 4) throw new RangeError('DER: unsupported length');
    len = 0;
    for (let i = 0; i < count; i++) {
      lenByte = buf[contentStart + i];
      if (lenByte === undefined) throw new RangeError('DER: truncated');
      len = len * 256 + lenByte;
    }
    contentStart += count;
  }
  const end = contentStart + len;
  if (end > buf.length) throw new RangeError('DER: truncated');
  return { tag, start: offset, contentStart, end };
}

/** The TLVs directly inside a constructed TLV. */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.contentStart; off < parent.end; ) {
    const t = readTlv(buf, off);
    out.push(t);
    off = t.end;
  }
  return out;
}

const AKI_OID = oid('2.5.29.35');

/**
 * Serial number content octets and the AKI keyIdentifier of a DER certificate (RFC 5280 §4.1.2.2,
 * §4.2.1.1); `aki` is undefined when the extension or its keyIdentifier is absent.
 */
export function certificateIds(der: Buffer): { serial: Buffer; aki: Buffer | undefined } {
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new RangeError('DER: no tbsCertificate');
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const serialTlv = fields[i++];
  if (serialTlv?.tag !== 0x02) throw new RangeError('DER: no serial');
  const serial = der.subarray(serialTlv.contentStart, serialTlv.end);
  const extsWrapper = fields.find((f) => f.tag === 0xa3);
  if (!extsWrapper) return { serial, aki: undefined };
  const exts = children(der, extsWrapper)[0];
  for (const ext of exts ? children(der, exts) : []) {
    const parts = children(der, ext);
    const id = parts[0];
    if (!id || !der.subarray(id.start, id.end).equals(AKI_OID)) continue;
    const value = parts[parts.length - 1]!; // extnValue OCTET STRING (after an optional critical BOOLEAN)
    const akiSeq = readTlv(der, value.contentStart);
    const keyId = children(der, akiSeq).find((c) => c.tag === 0x80); // [0] IMPLICIT KeyIdentifier
    return { serial, aki: keyId ? der.subarray(keyId.contentStart, keyId.end) : undefined };
  }
  return { serial, aki: undefined };
}
