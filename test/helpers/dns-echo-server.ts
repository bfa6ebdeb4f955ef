// A loopback DNS server for tests that answers like OpenDNS (myip.opendns.com A/AAAA) and Cloudflare
// (whoami.cloudflare CH TXT): with the address the query came from, or whatever the test scripts.
// Its wire encoding is written here on purpose, independent of the agent's DNS code.
import dgram from "node:dgram";
import net from "node:net";

export interface DnsQuery {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly cls: number;
  readonly from: string;
}

export interface DnsRecordSpec {
  readonly type: number;
  readonly cls: number;
  readonly data: Buffer;
  /** Owner name; the question's name by default. */
  readonly name?: string;
}

export interface DnsAnswerSpec {
  readonly rcode?: number;
  readonly records?: readonly DnsRecordSpec[];
  /** Send these bytes instead of a response. */
  readonly raw?: Buffer;
  /** Send nothing. */
  readonly drop?: boolean;
}

export const rdata = {
  a: (addr: string) => Buffer.from(addr.split(".").map(Number)),
  aaaa: (addr: string) => {
    if (!net.isIPv6(addr) || addr.includes(".")) throw new RangeError(`rdata.aaaa: "${addr}" is not plain IPv6 text`);
    const halves = addr.split("::");
    const head = halves[0] ? halves[0].split(":") : [];
    const tail = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
    const words = [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
    const out = Buffer.alloc(16);
    words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
    return out;
  },
  txt: (...strings: string[]) => Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]))),
};

function readQuestion(msg: Buffer): { name: string; type: number; cls: number; end: number } | null {
  let off = 12;
  const labels: string[] = [];
  while (off < msg.length) {
    const len = msg[off]!;
    if (len === 0) {
      off++;
      break;
    }
    labels.push(msg.subarray(off + 1, off + 1 + len).toString("latin1"));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return null;
  return { name: labels.join("."), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2), end: off + 4 };
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

/** The default: echo the querier's address in the form the service uses. */
export function echoAnswer(q: DnsQuery): DnsAnswerSpec {
  const v4 = !q.from.includes(":");
  if (q.name.toLowerCase() === "whoami.cloudflare" && q.type === 16 && q.cls === 3) return { records: [{ type: 16, cls: 3, data: rdata.txt(q.from) }] };
  if (q.name.toLowerCase() === "myip.opendns.com" && q.cls === 1) {
    if (q.type === 1 && v4) return { records: [{ type: 1, cls: 1, data: rdata.a(q.from) }] };
    if (q.type === 28 && !v4) return { records: [{ type: 28, cls: 1, data: rdata.aaaa(q.from) }] };
    return { records: [] };
  }
  return { rcode: 3 };
}

export interface DnsEchoServer {
  readonly address: string;
  readonly port: number;
  readonly queries: DnsQuery[];
  close(): Promise<void>;
}

export async function startDnsEchoServer(opts: { host: string; answer?: (q: DnsQuery) => DnsAnswerSpec }): Promise<DnsEchoServer> {
  const socket = dgram.createSocket({ type: opts.host.includes(":") ? "udp6" : "udp4" });
  const queries: DnsQuery[] = [];
  socket.on("message", (msg, rinfo) => {
    if (msg.length < 12) return;
    const q = readQuestion(msg);
    if (!q) return;
    const from = rinfo.address.replace(/^::ffff:/, "");
    const query: DnsQuery = { id: msg.readUInt16BE(0), name: q.name, type: q.type, cls: q.cls, from };
    queries.push(query);
    const spec = (opts.answer ?? echoAnswer)(query);
    if (spec.drop) return;
    if (spec.raw) {
      socket.send(spec.raw, rinfo.port, rinfo.address);
      return;
    }
    const records = spec.records ?? [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.id, 0);
    header.writeUInt16BE(0x8180 | (spec.rcode ?? 0), 2); // QR, RD, RA
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const parts: Buffer[] = [header, msg.subarray(12, q.end)];
    for (const r of records) {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(r.type, 0);
      fixed.writeUInt16BE(r.cls, 2);
      fixed.writeUInt32BE(0, 4);
      fixed.writeUInt16BE(r.data.length, 8);
      // Owner name as a compression pointer to the question (offset 12), as real servers do.
      parts.push(r.name ? encodeName(r.name) : Buffer.from([0xc0, 12]), fixed, r.data);
    }
    socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, opts.host, () => resolve());
  });
  return {
    address: opts.host,
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
