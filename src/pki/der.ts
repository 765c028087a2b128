/**
 * The few DER (ITU-T X.690) pieces the daemon needs, so the per-order path does not load @peculiar/x509
 * (its schema machinery alone adds ~15 MB to the process): encoding TLVs and OIDs (for PKCS#10 CSRs)
 * and reading TLVs (for a certificate's serial and authority key identifier).
 *
 * Contract: definite lengths only, as DER requires; reading throws RangeError on truncated or
 * unsupported input. Round-trips are checked against openssl in the unit tests.
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

/** Where one TLV lies in its buffer: tag byte, first byte, first content byte, end (exclusive). */
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
    if (t.end > parent.end) throw new RangeError('DER: child overruns its parent');
    out.push(t);
    off = t.end;
  }
  return out;
}
