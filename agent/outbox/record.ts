// On-disk record format of the outbox segments:
//   u32 LE payload length | u32 LE CRC-32 of (seq bytes + payload) | u64 LE seq | payload
// The payload is one encoded Envelope. A torn or corrupt record is detected by length and CRC.
import { crc32 } from "node:zlib";

export const HEADER_BYTES = 16;
/** Far above any valid frame; a larger length field means corruption. */
const MAX_PAYLOAD = 4 * 1024 * 1024;

export interface OutboxRecord {
  seq: number;
  bytes: Uint8Array;
}

export function encodeRecord(seq: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  buf.writeUInt32LE(payload.byteLength, 0);
  buf.writeBigUInt64LE(BigInt(seq), 8);
  buf.set(payload, HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export interface ParseResult {
  records: OutboxRecord[];
  /** Offset just past the last valid record. */
  validBytes: number;
  /** Why parsing stopped before the end of the buffer, or null when it did not. */
  stoppedBy: "torn" | "corrupt" | null;
  /** Damaged stretches in the middle that were skipped (valid records follow each one). */
  damage: { offset: number; bytes: number; lostSeqs: number }[];
}

/**
 * Parses records until the end of the buffer. A damaged record (bad length or CRC) in the middle
 * is skipped: parsing resumes at the next offset where a valid record with a plausible next seq
 * starts, so one bad record does not take the good ones after it along. Damage with no valid
 * record after it is the tail: `stoppedBy` says which kind. `afterSeq` is the seq before the
 * first record (segments start at the seq in their file name).
 */
export function parseRecords(buf: Buffer, afterSeq = 0): ParseResult {
  const records: OutboxRecord[] = [];
  const damage: ParseResult["damage"] = [];
  let off = 0;
  let prevSeq = afterSeq;
  while (off < buf.length) {
    const r = recordAt(buf, off);
    if (r.ok && r.seq > prevSeq) {
      records.push({ seq: r.seq, bytes: buf.subarray(off + HEADER_BYTES, r.end) });
      prevSeq = r.seq;
      off = r.end;
      continue;
    }
    const next = resync(buf, off + 1, prevSeq);
    if (next === null) return { records, validBytes: off, stoppedBy: r.ok ? "corrupt" : r.why, damage };
    damage.push({ offset: off, bytes: next.offset - off, lostSeqs: next.seq - prevSeq - 1 });
    off = next.offset;
  }
  return { records, validBytes: off, stoppedBy: null, damage };
}

type At = { ok: true; seq: number; end: number } | { ok: false; why: "torn" | "corrupt" };

function recordAt(buf: Buffer, off: number): At {
  if (buf.length - off < HEADER_BYTES) return { ok: false, why: "torn" };
  const len = buf.readUInt32LE(off);
  if (len > MAX_PAYLOAD) return { ok: false, why: "corrupt" };
  const end = off + HEADER_BYTES + len;
  if (end > buf.length) return { ok: false, why: "torn" };
  if (crc32(buf.subarray(off + 8, end)) !== buf.readUInt32LE(off + 4)) return { ok: false, why: "corrupt" };
  return { ok: true, seq: Number(buf.readBigUInt64LE(off + 8)), end };
}

/** The next offset holding a valid record whose seq can follow prevSeq, or null. */
function resync(buf: Buffer, from: number, prevSeq: number): { offset: number; seq: number } | null {
  for (let off = from; off + HEADER_BYTES <= buf.length; off++) {
    // Cheap checks first (length, then a seq that fits in the bytes skipped), the CRC last.
    const len = buf.readUInt32LE(off);
    if (len > MAX_PAYLOAD || off + HEADER_BYTES + len > buf.length) continue;
    const seq = Number(buf.readBigUInt64LE(off + 8));
    if (seq <= prevSeq || seq > prevSeq + 1 + Math.ceil(off / HEADER_BYTES)) continue;
    const r = recordAt(buf, off);
    if (r.ok) return { offset: off, seq: r.seq };
  }
  return null;
}
