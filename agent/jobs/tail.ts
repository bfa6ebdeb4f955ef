// A bounded tail of a command's combined output: the last lines, at most so many bytes of valid
// UTF-8, readable in an email. Memory stays bounded however much the command prints.
import { LIMITS } from "../../proto/limits.js";

export const DEFAULT_TAIL_LINES = 20;
export const DEFAULT_TAIL_BYTES = 4096;

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;
// Control characters other than tab and newline.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

export class OutputTail {
  readonly maxLines: number;
  readonly maxBytes: number;
  /** Raw bytes kept: more than maxBytes, since escapes and overwritten progress lines shrink. */
  private readonly keepBytes: number;
  private chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  constructor(maxLines = DEFAULT_TAIL_LINES, maxBytes = DEFAULT_TAIL_BYTES) {
    if (!Number.isSafeInteger(maxLines) || maxLines < 0) throw new RangeError(`tail lines must be a non-negative integer, got ${maxLines}`);
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`tail bytes must be a non-negative integer, got ${maxBytes}`);
    this.maxLines = maxLines;
    // The wire limit counts UTF-16 units; bytes of UTF-8 are never fewer.
    this.maxBytes = Math.min(maxBytes, LIMITS.maxOutputTail);
    this.keepBytes = Math.max(this.maxBytes * 4, 1024);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (chunk.length >= this.keepBytes) {
      this.chunks = [chunk.subarray(chunk.length - this.keepBytes)];
      this.size = this.keepBytes;
      this.cut = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.keepBytes) {
      this.size -= this.chunks.shift()!.length;
      this.cut = true;
    }
  }

  /** The tail as text: ANSI escapes and control characters removed, CRLF as LF, a line's `\r` overwrites shown as the terminal would. */
  text(): string {
    if (this.maxLines === 0 || this.maxBytes === 0 || this.size === 0) return "";
    let raw: Buffer = Buffer.concat(this.chunks, this.size);
    if (this.cut) {
      // The front was dropped: start at a whole line when there is one.
      raw = skipContinuationBytes(raw);
      const nl = raw.indexOf(0x0a);
      if (nl >= 0 && nl < raw.length - 1) raw = raw.subarray(nl + 1);
    }
    const text = raw.toString("utf8").replace(ANSI, "").replace(/\r+\n/g, "\n");
    let lines = text.split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    lines = lines.slice(-this.maxLines).map((l) => l.slice(l.lastIndexOf("\r") + 1).replace(CONTROL, ""));
    return lastBytes(lines.join("\n"), this.maxBytes);
  }
}

/** The end of `s` that fits in `max` bytes of UTF-8, never splitting a character. */
export function lastBytes(s: string, max: number): string {
  const buf = Buffer.from(s, "utf8");
  if (buf.length <= max) return s;
  return skipContinuationBytes(buf.subarray(buf.length - max)).toString("utf8");
}

function skipContinuationBytes(buf: Buffer): Buffer {
  let i = 0;
  while (i < buf.length && i < 4 && (buf[i]! & 0xc0) === 0x80) i++;
  return buf.subarray(i);
}
