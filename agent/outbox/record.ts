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
}

export function parseRecords(buf: Buffer): ParseResult {
  const records: OutboxRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER_BYTES) return { records, validBytes: off, stoppedBy: "torn" };
    const len = buf.readUInt32LE(off);
    if (len > MAX_PAYLOAD) return { records, validBytes: off, stoppedBy: "corrupt" };
    const end = off + HEADER_BYTES + len;
    if (end > buf.length) return { records, validBytes: off, stoppedBy: "torn" };
    if (crc32(buf.subarray(off + 8, end)) !== buf.readUInt32LE(off + 4)) return { records, validBytes: off, stoppedBy: "corrupt" };
    records.push({ seq: Number(buf.readBigUInt64LE(off + 8)), bytes: buf.subarray(off + HEADER_BYTES, end) });
    off = end;
  }
  return { records, validBytes: off, stoppedBy: null };
}
