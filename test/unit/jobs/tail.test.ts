import { describe, expect, it } from "vitest";
import { lastBytes, OutputTail } from "../../../agent/jobs/tail.js";

function tailOf(chunks: (string | Buffer)[], lines?: number, bytes?: number): string {
  const t = new OutputTail(lines, bytes);
  for (const c of chunks) t.push(typeof c === "string" ? Buffer.from(c) : c);
  return t.text();
}

describe("OutputTail", () => {
  it("keeps the last lines, without the final newline", () => {
    const text = Array.from({ length: 30 }, (_, i) => `l${i + 1}\n`).join("");
    expect(tailOf([text], 3)).toBe("l28\nl29\nl30");
  });

  it("keeps an unterminated last line", () => {
    expect(tailOf(["a\nb\nc"], 2)).toBe("b\nc");
  });

  it("joins chunks that split lines and characters", () => {
    const bytes = Buffer.from("héllo\nwörld\n");
    expect(tailOf([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toBe("héllo\nwörld");
  });

  it("removes ANSI escapes and control characters, shows \\r overwrites as a terminal would", () => {
    expect(tailOf(["\x1b[1;31mred\x1b[0m\r\n", "10%\r50%\r100%\n", "bell\x07 nul\x00 tab\tok\n", "\x1b]0;title\x07done\n"]))
      .toBe("red\n100%\nbell nul tab\tok\ndone");
  });

  it("bounds bytes, cutting at a character boundary", () => {
    const t = tailOf(["€".repeat(1000)], 20, 100); // 3 bytes each
    expect(t).toBe("€".repeat(33));
  });

  it("keeps memory bounded and starts at a whole line after dropping the front", () => {
    const t = new OutputTail(2, 64);
    for (let i = 0; i < 10_000; i++) t.push(Buffer.from(`line ${i}\n`));
    expect(t.text()).toBe("line 9998\nline 9999");
    expect((t as unknown as { size: number }).size).toBeLessThan(1024 + 16);
  });

  it("a single huge chunk keeps its end", () => {
    expect(tailOf([`${"x".repeat(100_000)}\nend\n`], 1)).toBe("end");
  });

  it("is empty with no output or zero limits", () => {
    expect(tailOf([])).toBe("");
    expect(tailOf(["a\n"], 0)).toBe("");
    expect(tailOf(["a\n"], 5, 0)).toBe("");
  });

  it("replaces invalid UTF-8 and still fits the byte bound", () => {
    const t = tailOf([Buffer.from([0xff, 0xfe, 0x41, 0x0a])], 5, 4);
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(4);
    expect(t.endsWith("A")).toBe(true);
  });
});

describe("lastBytes", () => {
  it("never splits a character", () => {
    expect(lastBytes("aé€😀", 4)).toBe("😀");
    expect(lastBytes("aé€😀", 6)).toBe("😀");
    expect(lastBytes("aé€😀", 7)).toBe("€😀");
    expect(lastBytes("abc", 10)).toBe("abc");
  });
});
