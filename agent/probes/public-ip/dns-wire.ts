// The few bits of the DNS wire format (RFC 1035) an address echo needs: one question out, and a
// strictly checked response back. Names may be compressed; every pointer and length is checked
// against the datagram, and pointer loops are cut off.
import { PublicIpError } from "./errors.js";

export const DNS_TYPE = { A: 1, TXT: 16, AAAA: 28 } as const;
export const DNS_CLASS = { IN: 1, CH: 3 } as const;

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly cls: number;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly cls: number;
  readonly ttl: number;
  readonly data: Buffer;
}

export interface DnsResponse {
  readonly id: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly question: DnsQuestion;
  readonly answers: DnsRecord[];
}

function bad(message: string): PublicIpError {
  return new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `DNS: ${message}`);
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".");
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, "ascii");
    if (b.length === 0 || b.length > 63) throw new RangeError(`DNS label "${l}" of "${name}" must be 1..63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A standard query with recursion desired and no EDNS. */
export function encodeDnsQuery(id: number, q: DnsQuestion): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(q.type, 0);
  tail.writeUInt16BE(q.cls, 2);
  return Buffer.concat([header, encodeName(q.name), tail]);
}

/** Reads a possibly compressed name at `off`; returns it and the offset after it (in place). */
function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (off >= buf.length) throw bad("name runs past the end of the message");
    const len = buf[off]!;
    if (len === 0) {
      if (next < 0) next = off + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= buf.length) throw bad("truncated compression pointer");
      const target = ((len & 0x3f) << 8) | buf[off + 1]!;
      // Pointers go backwards only; together with the jump limit that rules out loops.
      if (target >= off || ++jumps > 32) throw bad("compression pointer loop or forward pointer");
      if (next < 0) next = off + 2;
      off = target;
      continue;
    }
    if (kind !== 0) throw bad(`unsupported label type 0x${kind.toString(16)}`);
    if (off + 1 + len > buf.length) throw bad("label runs past the end of the message");
    total += len + 1;
    if (total > 255) throw bad("name longer than 255 bytes");
    labels.push(buf.subarray(off + 1, off + 1 + len).toString("latin1"));
    off += 1 + len;
  }
  return { name: labels.join("."), next };
}

/** Parses a response and checks it answers `expect` (id and question). Throws PublicIpError. */
export function parseDnsResponse(buf: Buffer, expectId: number, expect: DnsQuestion): DnsResponse {
  if (buf.length < 12) throw bad(`message of ${buf.length} bytes is shorter than a header`);
  const id = buf.readUInt16BE(0);
  if (id !== expectId) throw bad(`id ${id} does not match the query's ${expectId}`);
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw bad("not a response (QR bit clear)");
  if (((flags >> 11) & 0xf) !== 0) throw bad("opcode is not QUERY");
  const truncated = (flags & 0x0200) !== 0;
  const rcode = flags & 0xf;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  if (qd !== 1) throw bad(`${qd} questions in the response (expected 1)`);
  if (an > 64) throw bad(`${an} answers is more than any echo sends`);
  let off = 12;
  const qn = readName(buf, off);
  off = qn.next;
  if (off + 4 > buf.length) throw bad("truncated question");
  const question: DnsQuestion = { name: qn.name, type: buf.readUInt16BE(off), cls: buf.readUInt16BE(off + 2) };
  off += 4;
  if (
    question.name.toLowerCase() !== expect.name.replace(/\.$/, "").toLowerCase() ||
    question.type !== expect.type ||
    question.cls !== expect.cls
  ) {
    throw bad(`the response's question (${question.name} type ${question.type} class ${question.cls}) is not the one asked`);
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const rn = readName(buf, off);
    off = rn.next;
    if (off + 10 > buf.length) throw bad("truncated resource record");
    const type = buf.readUInt16BE(off);
    const cls = buf.readUInt16BE(off + 2);
    const ttl = buf.readUInt32BE(off + 4);
    const rdlen = buf.readUInt16BE(off + 8);
    off += 10;
    if (off + rdlen > buf.length) throw bad("record data runs past the end of the message");
    answers.push({ name: rn.name, type, cls, ttl, data: Buffer.from(buf.subarray(off, off + rdlen)) });
    off += rdlen;
  }
  return { id, rcode, truncated, question, answers };
}

/** The character-strings of a TXT record's data. */
export function txtStrings(data: Buffer): string[] {
  const out: string[] = [];
  let off = 0;
  while (off < data.length) {
    const len = data[off]!;
    if (off + 1 + len > data.length) throw bad("TXT string runs past the record");
    out.push(data.subarray(off + 1, off + 1 + len).toString("latin1"));
    off += 1 + len;
  }
  return out;
}
