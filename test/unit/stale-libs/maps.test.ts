import { describe, expect, it } from "vitest";
import { deletedExecutable, deletedExecutableMappings } from "../../../agent/probes/stale-libs/maps.js";
import { stripPackageSuffix } from "../../../agent/probes/stale-libs/paths.js";

const maps = (lines: string[]): Buffer => Buffer.from(lines.join("\n") + "\n", "utf8");

describe("deletedExecutableMappings", () => {
  it("returns executable mappings of deleted files, without the marker", () => {
    const buf = maps([
      "55d0c0000000-55d0c0001000 r--p 00000000 fe:01 1311                       /usr/sbin/cron",
      "7f2c1a000000-7f2c1a1c6000 r-xp 00026000 fe:01 1312                       /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)",
      "7f2c1a1c6000-7f2c1a1c9000 r--p 001c6000 fe:01 1312                       /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)",
      "7f2c1a1c9000-7f2c1a1cb000 rw-p 001c9000 fe:01 1312                       /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)",
      "7f2c1a200000-7f2c1a300000 r-xp 00000000 fe:01 1400                       /usr/lib/x86_64-linux-gnu/libz.so.1",
      "7ffc3e5f0000-7ffc3e611000 rw-p 00000000 00:00 0                          [stack]",
    ]);
    expect(deletedExecutableMappings(buf)).toEqual(["/usr/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  it("ignores data-only mappings of deleted files and anonymous (inode 0) lines", () => {
    const buf = maps([
      "7f0000000000-7f0000100000 r--p 00000000 fe:01 77                         /usr/lib/locale/locale-archive (deleted)",
      "7f0000100000-7f0000200000 rw-s 00000000 00:05 12                         /dev/shm/x (deleted)",
      "7f0000200000-7f0000300000 r-xp 00000000 00:00 0                          /weird (deleted)",
    ]);
    expect(deletedExecutableMappings(buf)).toEqual([]);
  });

  it("keeps spaces and UTF-8 in paths, and finds a last line without a newline", () => {
    const text =
      "7f0000000000-7f0000100000 r-xp 00000000 fe:01 77   /opt/my app/lib\u00e9.so (deleted)\n" +
      "7f0000100000-7f0000200000 r-xp 00000000 fe:01 78   /opt/last.so (deleted)";
    expect(deletedExecutableMappings(Buffer.from(text, "utf8"))).toEqual(["/opt/my app/lib\u00e9.so", "/opt/last.so"]);
  });

  it("returns nothing for an empty maps file (kernel thread) or one without the marker", () => {
    expect(deletedExecutableMappings(Buffer.alloc(0))).toEqual([]);
    expect(deletedExecutableMappings(maps(["7f0000000000-7f0000100000 r-xp 00000000 fe:01 77   /usr/lib/libfoo.so"]))).toEqual([]);
  });
});

describe("deletedExecutable", () => {
  it("strips the marker of a deleted exe link", () => {
    expect(deletedExecutable("/usr/sbin/nginx (deleted)")).toBe("/usr/sbin/nginx");
    expect(deletedExecutable("/usr/sbin/nginx")).toBeNull();
  });
});

describe("stripPackageSuffix", () => {
  it("strips rpm's ;hex and dpkg's .dpkg-new/.dpkg-tmp", () => {
    expect(stripPackageSuffix("/usr/lib64/libssl.so.3.0.7;65a1b2c3")).toBe("/usr/lib64/libssl.so.3.0.7");
    expect(stripPackageSuffix("/usr/lib/x86_64-linux-gnu/libc.so.6.dpkg-new")).toBe("/usr/lib/x86_64-linux-gnu/libc.so.6");
    expect(stripPackageSuffix("/usr/lib/x86_64-linux-gnu/libc.so.6.dpkg-tmp")).toBe("/usr/lib/x86_64-linux-gnu/libc.so.6");
    expect(stripPackageSuffix("/usr/lib/libfoo.so;notHex")).toBe("/usr/lib/libfoo.so;notHex");
  });
});
