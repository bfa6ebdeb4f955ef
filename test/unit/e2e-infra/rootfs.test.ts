// The pure planning of the e2e base image: ldd parsing, symlink resolution, and the plan itself,
// against a fake merged-/usr Debian file system.

import { describe, expect, it } from "vitest";
import { imageTag, parseLdd, planHash, planRootfs, resolveChain } from "../../helpers/docker/rootfs.js";
import type { FsView, RootfsInput } from "../../helpers/docker/rootfs.js";

type Entry = { link: string } | { size: number; mtimeMs?: number; mode?: number };

function fakeFs(entries: Record<string, Entry>): FsView {
  return {
    kind(p) {
      const e = entries[p];
      if (e) return "link" in e ? "symlink" : "file";
      return Object.keys(entries).some((k) => k.startsWith(`${p}/`)) ? "dir" : "missing";
    },
    readlink(p) {
      const e = entries[p];
      if (!e || !("link" in e)) throw new Error(`not a symlink: ${p}`);
      return e.link;
    },
    stat(p) {
      const e = entries[p];
      if (!e || "link" in e) throw new Error(`not a file: ${p}`);
      return { size: e.size, mtimeMs: e.mtimeMs ?? 1000, mode: e.mode ?? 0o755 };
    },
  };
}

/** Debian 12 layout: /bin, /lib and /lib64 are links into /usr; the loader link is absolute. */
const debian = (over: Record<string, Entry> = {}): FsView =>
  fakeFs({
    "/bin": { link: "usr/bin" },
    "/lib": { link: "usr/lib" },
    "/lib64": { link: "usr/lib64" },
    "/usr/bin/node": { size: 100 },
    "/usr/bin/busybox": { size: 10 },
    "/usr/bin/dash": { size: 5 },
    "/usr/bin/sh": { link: "dash" },
    "/usr/lib64/ld-linux-x86-64.so.2": { link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" },
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": { size: 2, mode: 0o755 },
    "/usr/lib/x86_64-linux-gnu/libc.so.6": { size: 3, mode: 0o644 },
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6": { link: "libstdc++.so.6.0.30" },
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30": { size: 4, mode: 0o644 },
    "/etc/ssl/certs/ca-certificates.crt": { size: 6, mode: 0o644 },
    ...over,
  });

const NODE_LDD = `	linux-vdso.so.1 (0x00007ffd2b5f3000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f0a1c000000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0a1be1e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f0a1c2f5000)
`;

describe("parseLdd", () => {
  it("lists every library path and the loader, not the vDSO", () => {
    expect(parseLdd(NODE_LDD, "/usr/bin/node")).toEqual([
      "/lib/x86_64-linux-gnu/libstdc++.so.6",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("names the binary and the library when one is not found", () => {
    expect(() => parseLdd("\tlibfoo.so.1 => not found\n", "/usr/bin/x")).toThrow(/\/usr\/bin\/x.*libfoo\.so\.1/);
  });

  it("returns nothing for a static binary", () => {
    expect(parseLdd("\tstatically linked\n", "/usr/bin/busybox")).toEqual([]);
  });
});

describe("resolveChain", () => {
  it("follows relative and absolute links component by component", () => {
    const r = resolveChain("/lib64/ld-linux-x86-64.so.2", debian());
    expect(r.real).toBe("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    expect(r.links).toEqual([
      { path: "/lib64", target: "usr/lib64" },
      { path: "/usr/lib64/ld-linux-x86-64.so.2", target: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" },
      { path: "/lib", target: "usr/lib" },
    ]);
  });

  it("applies .. after a link to the resolved directory", () => {
    const fs = fakeFs({ "/a/real/x": { size: 1 }, "/b/link": { link: "/a/real" } });
    expect(resolveChain("/b/link/../real/x", fs).real).toBe("/a/real/x");
  });

  it("throws on a missing path unless asked to allow it", () => {
    expect(() => resolveChain("/bin/nope", debian())).toThrow(/\/usr\/bin\/nope.*does not exist/);
    expect(resolveChain("/bin/nope", debian(), "allow")).toMatchObject({ real: "/usr/bin/nope", missing: true });
  });

  it("stops on a symlink loop", () => {
    const fs = fakeFs({ "/x": { link: "/y" }, "/y": { link: "/x" } });
    expect(() => resolveChain("/x/f", fs)).toThrow(/too many symlinks/);
  });
});

describe("planRootfs", () => {
  const input = (over: Partial<RootfsInput> = {}): RootfsInput => ({
    hostFiles: ["/usr/bin/node", ...parseLdd(NODE_LDD, "node"), "/etc/ssl/certs/ca-certificates.crt"],
    busybox: { path: "/bin/busybox", applets: ["sh", "cat", "sleep", "bad/name"] },
    generated: [{ path: "/etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\n", mode: 0o644 }],
    dirs: [{ path: "/tmp", mode: 0o1777 }],
    ...over,
  });

  it("copies real files at their real paths and recreates the links that lead to them", () => {
    const plan = planRootfs({ ...input(), hostFiles: [...input().hostFiles, "/bin/busybox"] }, debian());
    expect(plan.files.map((f) => f.path)).toEqual([
      "/etc/ssl/certs/ca-certificates.crt",
      "/usr/bin/busybox",
      "/usr/bin/node",
      "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
      "/usr/lib/x86_64-linux-gnu/libc.so.6",
      "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
    ]);
    expect(plan.symlinks).toEqual(
      expect.arrayContaining([
        { path: "/bin", target: "usr/bin" },
        { path: "/lib", target: "usr/lib" },
        { path: "/lib64", target: "usr/lib64" },
        { path: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", target: "libstdc++.so.6.0.30" },
      ]),
    );
  });

  it("puts busybox applets where /bin leads inside the image and skips unsafe names", () => {
    const plan = planRootfs({ ...input(), hostFiles: [...input().hostFiles, "/bin/busybox"] }, debian());
    const applets = plan.symlinks.filter((l) => l.target === "/bin/busybox").map((l) => l.path);
    expect(applets).toEqual(["/usr/bin/cat", "/usr/bin/sh", "/usr/bin/sleep"]);
  });

  it("keeps a copied tool instead of an applet of the same name", () => {
    const plan = planRootfs({ ...input(), hostFiles: [...input().hostFiles, "/bin/busybox", "/bin/sh"] }, debian());
    expect(plan.symlinks).toContainEqual({ path: "/usr/bin/sh", target: "dash" });
    expect(plan.symlinks).not.toContainEqual({ path: "/usr/bin/sh", target: "/bin/busybox" });
  });

  it("gives directories 0755 unless told otherwise, and /tmp 01777", () => {
    const plan = planRootfs(input(), debian());
    expect(plan.dirs).toContainEqual({ path: "/tmp", mode: 0o1777 });
    expect(plan.dirs).toContainEqual({ path: "/usr/lib/x86_64-linux-gnu", mode: 0o755 });
    expect(plan.writes).toEqual([{ path: "/etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\n", mode: 0o644 }]);
  });

  it("refuses two different targets for one symlink (a host that changed while planning)", () => {
    let reads = 0;
    const base = fakeFs({ "/d": { link: "/e" }, "/e/f": { size: 1 }, "/e/g": { size: 1 }, "/h/f": { size: 1 }, "/h/g": { size: 1 } });
    const changing: FsView = { ...base, readlink: (p) => (p === "/d" ? (reads++ === 0 ? "/e" : "/h") : base.readlink(p)) };
    expect(() => planRootfs({ hostFiles: ["/d/f", "/d/g"], generated: [], dirs: [] }, changing)).toThrow(/'\/d' points to both '\/e' and '\/h'/);
  });

  it("names the image by content: a changed library changes the tag", () => {
    const a = planHash(planRootfs(input(), debian()), "1");
    const same = planHash(planRootfs(input(), debian()), "1");
    const newerLibc = planHash(planRootfs(input(), debian({ "/usr/lib/x86_64-linux-gnu/libc.so.6": { size: 3, mtimeMs: 2000, mode: 0o644 } })), "1");
    expect(same).toBe(a);
    expect(newerLibc).not.toBe(a);
    expect(planHash(planRootfs(input(), debian()), "2")).not.toBe(a);
    expect(imageTag("v20.20.2", a)).toMatch(/^20\.20\.2-[0-9a-f]{12}$/);
  });
});
