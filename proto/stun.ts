// STUN message codec (RFC 8489) for the one transaction lastseen uses: Binding. The agent sends
// requests and reads XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS from RFC 3489 servers); the collector's
// responder decodes requests and writes responses. Every datagram is untrusted: lengths are checked
// before anything is read, and a malformed message raises StunError instead of being half-read.
import { randomBytes } from "node:crypto";
import { addressToBytes, bytesToAddress, normalizeAddress } from "./ip.js";

export const STUN_MAGIC_COOKIE = 0x2112a442;
export const STUN_HEADER_BYTES = 20;
/** XOR'ed into the CRC-32 of a FINGERPRINT attribute ("STUN"). */
export const STUN_FINGERPRINT_XOR = 0x5354554e;
/** Largest datagram either side reads; a Binding exchange fits in a fraction of it. */
export const STUN_MAX_MESSAGE_BYTES = 548;

export const STUN_METHOD_BINDING = 0x001;

export const STUN_ATTR = {
  MAPPED_ADDRESS: 0x0001,
  RESPONSE_ADDRESS: 0x0002, // RFC 3489
  CHANGE_REQUEST: 0x0003, // RFC 3489 / RFC 5780
  SOURCE_ADDRESS: 0x0004, // RFC 3489
  CHANGED_ADDRESS: 0x0005, // RFC 3489
  USERNAME: 0x0006,
  PASSWORD: 0x0007, // RFC 3489
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REFLECTED_FROM: 0x000b, // RFC 3489
  REALM: 0x0014,
  NONCE: 0x0015,
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  PASSWORD_ALGORITHM: 0x001d,
  USERHASH: 0x001e,
  XOR_MAPPED_ADDRESS: 0x0020,
  PADDING: 0x0026, // RFC 5780
  RESPONSE_PORT: 0x0027, // RFC 5780
  XOR_MAPPED_ADDRESS_OLD: 0x8020, // pre-RFC 5389 drafts, still sent by some servers
  SOFTWARE: 0x8022,
  ALTERNATE_SERVER: 0x8023,
  FINGERPRINT: 0x8028,
  RESPONSE_ORIGIN: 0x802b, // RFC 5780
  OTHER_ADDRESS: 0x802c, // RFC 5780
} as const;

/**
 * Comprehension-required attributes (type < 0x8000) this codec knows. A response carrying any other
 * one must be discarded (RFC 8489 6.3.3); a request carrying one gets 420 (Unknown Attribute).
 */
const KNOWN_REQUIRED: ReadonlySet<number> = new Set([
  STUN_ATTR.MAPPED_ADDRESS, STUN_ATTR.RESPONSE_ADDRESS, STUN_ATTR.CHANGE_REQUEST, STUN_ATTR.SOURCE_ADDRESS,
  STUN_ATTR.CHANGED_ADDRESS, STUN_ATTR.USERNAME, STUN_ATTR.PASSWORD, STUN_ATTR.MESSAGE_INTEGRITY,
  STUN_ATTR.ERROR_CODE, STUN_ATTR.UNKNOWN_ATTRIBUTES, STUN_ATTR.REFLECTED_FROM, STUN_ATTR.REALM, STUN_ATTR.NONCE,
  STUN_ATTR.MESSAGE_INTEGRITY_SHA256, STUN_ATTR.PASSWORD_ALGORITHM, STUN_ATTR.USERHASH,
  STUN_ATTR.XOR_MAPPED_ADDRESS, STUN_ATTR.PADDING, STUN_ATTR.RESPONSE_PORT,
]);

export type StunClass = "request" | "indication" | "success" | "error";

export type StunErrorCode = "LASTSEEN_ERR_STUN_MALFORMED" | "LASTSEEN_ERR_STUN_FINGERPRINT";

export class StunError extends Error {
  override readonly name = "StunError";
  constructor(
    readonly code: StunErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface StunAttribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface StunMessage {
  readonly method: number;
  readonly cls: StunClass;
  /**
   * True when the header carries the RFC 5389/8489 magic cookie. Without it the sender is an
   * RFC 3489 client, whose transaction id is all 16 bytes after the length field.
   */
  readonly hasMagicCookie: boolean;
  /** The 12-byte transaction id (bytes 8..20). */
  readonly transactionId: Buffer;
  /** Bytes 4..20: the cookie and the transaction id, which is what an RFC 3489 peer matches on. */
  readonly cookieAndId: Buffer;
  readonly attributes: readonly StunAttribute[];
  /** Whether a FINGERPRINT attribute was present (and verified: a wrong one throws). */
  readonly fingerprinted: boolean;
}

export interface MappedAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

// ---------- CRC-32 (IEEE 802.3, as zlib) for FINGERPRINT ----------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------- message type ----------

function classOf(type: number): StunClass {
  const c = ((type >> 7) & 0x2) | ((type >> 4) & 0x1);
  return (["request", "indication", "success", "error"] as const)[c]!;
}

function methodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

export function stunMessageType(method: number, cls: StunClass): number {
  const c = { request: 0, indication: 1, success: 2, error: 3 }[cls];
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
}

/**
 * Cheap test whether a datagram can be a STUN message at all (first two bits zero, length a multiple
 * of 4 that matches the datagram). Does not require the magic cookie (RFC 3489 clients lack it).
 */
export function looksLikeStun(buf: Uint8Array): boolean {
  if (buf.length < STUN_HEADER_BYTES || buf.length > STUN_MAX_MESSAGE_BYTES) return false;
  if ((buf[0]! & 0xc0) !== 0) return false;
  const len = (buf[2]! << 8) | buf[3]!;
  return len % 4 === 0 && len + STUN_HEADER_BYTES === buf.length;
}

function malformed(message: string): StunError {
  return new StunError("LASTSEEN_ERR_STUN_MALFORMED", message);
}

/** Decodes and checks one STUN message. Throws StunError on anything malformed. */
export function decodeStunMessage(input: Uint8Array): StunMessage {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < STUN_HEADER_BYTES) throw malformed(`datagram of ${buf.length} bytes is shorter than a STUN header`);
  if (buf.length > STUN_MAX_MESSAGE_BYTES) throw malformed(`datagram of ${buf.length} bytes exceeds ${STUN_MAX_MESSAGE_BYTES}`);
  const type = buf.readUInt16BE(0);
  if ((type & 0xc000) !== 0) throw malformed("the two leading bits of a STUN message must be zero");
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0) throw malformed(`message length ${length} is not a multiple of 4`);
  if (length + STUN_HEADER_BYTES !== buf.length) {
    throw malformed(`message length ${length} does not match the datagram (${buf.length - STUN_HEADER_BYTES} bytes after the header)`);
  }
  const hasMagicCookie = buf.readUInt32BE(4) === STUN_MAGIC_COOKIE;
  const attributes: StunAttribute[] = [];
  let fingerprinted = false;
  let off = STUN_HEADER_BYTES;
  while (off < buf.length) {
    if (fingerprinted) throw malformed("attribute after FINGERPRINT (it must be the last one)");
    if (off + 4 > buf.length) throw malformed(`truncated attribute header at offset ${off}`);
    const at = buf.readUInt16BE(off);
    const alen = buf.readUInt16BE(off + 2);
    const padded = (alen + 3) & ~3;
    if (off + 4 + padded > buf.length) {
      throw malformed(`attribute 0x${at.toString(16).padStart(4, "0")} of ${alen} bytes at offset ${off} runs past the message end`);
    }
    const value = buf.subarray(off + 4, off + 4 + alen);
    if (at === STUN_ATTR.FINGERPRINT) {
      if (alen !== 4) throw malformed(`FINGERPRINT of ${alen} bytes (must be 4)`);
      // The CRC covers the message up to the attribute, with the header length already counting it.
      const expected = (crc32(buf.subarray(0, off)) ^ STUN_FINGERPRINT_XOR) >>> 0;
      if (value.readUInt32BE(0) !== expected) throw new StunError("LASTSEEN_ERR_STUN_FINGERPRINT", "FINGERPRINT does not match the message");
      fingerprinted = true;
    }
    attributes.push({ type: at, value });
    off += 4 + padded;
  }
  return {
    method: methodOf(type),
    cls: classOf(type),
    hasMagicCookie,
    transactionId: Buffer.from(buf.subarray(8, 20)),
    cookieAndId: Buffer.from(buf.subarray(4, 20)),
    attributes,
    fingerprinted,
  };
}

/** Comprehension-required attribute types in the message that this codec does not know. */
export function unknownRequiredAttributes(msg: StunMessage): number[] {
  const out: number[] = [];
  for (const a of msg.attributes) if (a.type < 0x8000 && !KNOWN_REQUIRED.has(a.type) && !out.includes(a.type)) out.push(a.type);
  return out;
}

export function getAttribute(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

// ---------- address attributes ----------

/** Decodes (XOR-)MAPPED-ADDRESS. `xorKey` is the 16 bytes cookie+transaction id, or null for plain. */
function decodeAddress(value: Buffer, xorKey: Buffer | null, name: string): MappedAddress {
  if (value.length < 4) throw malformed(`${name} of ${value.length} bytes is too short`);
  const fam = value[1];
  const want = fam === 0x01 ? 4 : fam === 0x02 ? 16 : -1;
  if (want < 0) throw malformed(`${name} has unknown address family 0x${(fam ?? 0).toString(16)}`);
  if (value.length !== 4 + want) throw malformed(`${name} for ${fam === 1 ? "IPv4" : "IPv6"} must be ${4 + want} bytes, got ${value.length}`);
  let port = value.readUInt16BE(2);
  const raw = Buffer.from(value.subarray(4));
  if (xorKey) {
    port ^= STUN_MAGIC_COOKIE >>> 16;
    for (let i = 0; i < raw.length; i++) raw[i] = raw[i]! ^ xorKey[i]!;
  }
  // Some servers report IPv4 clients as IPv4-mapped IPv6: bytesToAddress unmaps those.
  const address = bytesToAddress(raw);
  return { address, port, family: address.includes(":") ? 6 : 4 };
}

function encodeAddress(addr: MappedAddress, xorKey: Buffer | null): Buffer {
  const bytes = addressToBytes(addr.address);
  if (!bytes || (addr.family === 4) !== (bytes.length === 4)) throw new RangeError(`"${addr.address}" is not an IPv${addr.family} address`);
  const out = Buffer.alloc(4 + bytes.length);
  out[1] = bytes.length === 4 ? 0x01 : 0x02;
  out.writeUInt16BE(xorKey ? (addr.port ^ (STUN_MAGIC_COOKIE >>> 16)) & 0xffff : addr.port, 2);
  for (let i = 0; i < bytes.length; i++) out[4 + i] = xorKey ? bytes[i]! ^ xorKey[i]! : bytes[i]!;
  return out;
}

export interface ReadMappedAddress extends MappedAddress {
  /** Which attribute it came from. */
  readonly via: "xor-mapped-address" | "mapped-address";
}

/**
 * The reflexive address of a Binding success response: XOR-MAPPED-ADDRESS when present (also the
 * pre-standard 0x8020 form), MAPPED-ADDRESS from RFC 3489 servers otherwise. Null when neither.
 */
export function readMappedAddress(msg: StunMessage): ReadMappedAddress | null {
  const key = msg.cookieAndId;
  for (const type of [STUN_ATTR.XOR_MAPPED_ADDRESS, STUN_ATTR.XOR_MAPPED_ADDRESS_OLD]) {
    const v = getAttribute(msg, type);
    if (v && msg.hasMagicCookie) return { ...decodeAddress(v, key, "XOR-MAPPED-ADDRESS"), via: "xor-mapped-address" };
  }
  const plain = getAttribute(msg, STUN_ATTR.MAPPED_ADDRESS);
  if (plain) return { ...decodeAddress(plain, null, "MAPPED-ADDRESS"), via: "mapped-address" };
  return null;
}

/** ERROR-CODE of an error response: code (300..699) and reason, or null. */
export function readErrorCode(msg: StunMessage): { code: number; reason: string } | null {
  const v = getAttribute(msg, STUN_ATTR.ERROR_CODE);
  if (!v) return null;
  if (v.length < 4) throw malformed(`ERROR-CODE of ${v.length} bytes is too short`);
  const code = (v[2]! & 0x7) * 100 + v[3]!;
  return { code, reason: v.subarray(4).toString("utf8").slice(0, 128) };
}

/** CHANGE-REQUEST flags (0x4 change IP, 0x2 change port), 0 when absent. */
export function readChangeRequest(msg: StunMessage): number {
  const v = getAttribute(msg, STUN_ATTR.CHANGE_REQUEST);
  if (!v) return 0;
  if (v.length !== 4) throw malformed(`CHANGE-REQUEST of ${v.length} bytes (must be 4)`);
  return v.readUInt32BE(0) & 0x6;
}

// ---------- encoding ----------

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

interface EncodeOptions {
  software?: string;
  fingerprint?: boolean;
}

function encodeMessage(type: number, cookieAndId: Buffer, attrs: StunAttribute[], opts: EncodeOptions): Buffer {
  if (cookieAndId.length !== 16) throw new RangeError("cookie and transaction id must be 16 bytes");
  const all = [...attrs];
  if (opts.software) {
    // SOFTWARE is at most 128 characters and 763 bytes (RFC 8489 14.14).
    all.push({ type: STUN_ATTR.SOFTWARE, value: Buffer.from(opts.software.slice(0, 128), "utf8").subarray(0, 763) });
  }
  const parts: Buffer[] = [];
  for (const a of all) {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(a.type, 0);
    head.writeUInt16BE(a.value.length, 2);
    parts.push(head, a.value, Buffer.alloc(((a.value.length + 3) & ~3) - a.value.length));
  }
  const body = Buffer.concat(parts);
  const fp = opts.fingerprint ? 8 : 0;
  const header = Buffer.alloc(STUN_HEADER_BYTES);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(body.length + fp, 2);
  cookieAndId.copy(header, 4);
  const msg = Buffer.concat([header, body]);
  if (!fp) return msg;
  const tail = Buffer.alloc(8);
  tail.writeUInt16BE(STUN_ATTR.FINGERPRINT, 0);
  tail.writeUInt16BE(4, 2);
  tail.writeUInt32BE((crc32(msg) ^ STUN_FINGERPRINT_XOR) >>> 0, 4);
  return Buffer.concat([msg, tail]);
}

function cookieWith(transactionId: Buffer): Buffer {
  if (transactionId.length !== 12) throw new RangeError(`a STUN transaction id is 12 bytes, got ${transactionId.length}`);
  const b = Buffer.alloc(16);
  b.writeUInt32BE(STUN_MAGIC_COOKIE, 0);
  transactionId.copy(b, 4);
  return b;
}

/** A Binding request: 20 bytes, or more with SOFTWARE / FINGERPRINT. */
export function encodeBindingRequest(transactionId: Buffer, opts: EncodeOptions = {}): Buffer {
  return encodeMessage(stunMessageType(STUN_METHOD_BINDING, "request"), cookieWith(transactionId), [], opts);
}

/**
 * A Binding success response to `request` telling the client its address. An RFC 8489 request gets
 * XOR-MAPPED-ADDRESS (and FINGERPRINT when asked); an RFC 3489 request (no magic cookie) gets
 * MAPPED-ADDRESS with its 16-byte id echoed, and no FINGERPRINT (RFC 8489 section 12).
 */
export function encodeBindingSuccess(request: Pick<StunMessage, "hasMagicCookie" | "cookieAndId">, mapped: MappedAddress, opts: EncodeOptions = {}): Buffer {
  const type = stunMessageType(STUN_METHOD_BINDING, "success");
  const normal = normalizeAddress(mapped.address);
  if (normal === null) throw new RangeError(`"${mapped.address}" is not an IP address`);
  const addr: MappedAddress = { address: normal, port: mapped.port, family: normal.includes(":") ? 6 : 4 };
  if (!request.hasMagicCookie) {
    return encodeMessage(type, request.cookieAndId, [{ type: STUN_ATTR.MAPPED_ADDRESS, value: encodeAddress(addr, null) }], { software: opts.software });
  }
  return encodeMessage(type, request.cookieAndId, [{ type: STUN_ATTR.XOR_MAPPED_ADDRESS, value: encodeAddress(addr, request.cookieAndId) }], opts);
}

/** A Binding error response, e.g. 400 Bad Request or 420 Unknown Attribute (with the types). */
export function encodeBindingError(
  request: Pick<StunMessage, "hasMagicCookie" | "cookieAndId">,
  code: number,
  reason: string,
  unknown: readonly number[] = [],
  opts: EncodeOptions = {},
): Buffer {
  const reasonBytes = Buffer.from(reason.slice(0, 127), "utf8");
  const ec = Buffer.alloc(4 + reasonBytes.length);
  ec[2] = Math.floor(code / 100) & 0x7;
  ec[3] = code % 100;
  reasonBytes.copy(ec, 4);
  const attrs: StunAttribute[] = [{ type: STUN_ATTR.ERROR_CODE, value: ec }];
  if (unknown.length > 0) {
    const ua = Buffer.alloc(2 * unknown.length);
    unknown.forEach((t, i) => ua.writeUInt16BE(t, 2 * i));
    attrs.push({ type: STUN_ATTR.UNKNOWN_ATTRIBUTES, value: ua });
  }
  return encodeMessage(stunMessageType(STUN_METHOD_BINDING, "error"), request.cookieAndId, attrs, {
    ...opts,
    fingerprint: request.hasMagicCookie && opts.fingerprint,
  });
}
