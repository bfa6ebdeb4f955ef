import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScanError } from "../../../agent/probes/stale-libs/errors.js";
import { compileIgnore, DEFAULT_IGNORE } from "../../../agent/probes/stale-libs/ignore.js";

describe("default ignore list", () => {
  const ignored = compileIgnore();
  it.each([
    "/memfd:wayland-shm",
    "/memfd:sealed-91173221a7ea",
    "/dev/shm/pulse-shm-1",
    "/dev/zero",
    "/dev/dri/card0",
    "/SYSV00000000",
    "/drm mm object",
    "/[aio]",
    "/anon_hugepage",
    "/tmp/ffi1234",
    "/var/tmp/x.so",
    "/run/user/1000/x.so",
    "/var/run/x.so",
    "/home/alice/.cache/#12345",
    "/usr/lib/x86_64-linux-gnu/gstreamer/orcexec.AbC123",
    "/home/alice/.cache/JNA/temp/jna6543210987654321.tmp",
    "/home/bob/jffi1234.tmp",
  ])("ignores %s", (path) => expect(ignored(path)).toBe(true));

  it.each([
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/sbin/cron",
    "/opt/app/lib/libapp.so",
    "/usr/lib/tmp/libx.so",
    "/devices.so",
    "/runner/lib.so",
    "/usr/lib/jna.so",
  ])("keeps %s", (path) => expect(ignored(path)).toBe(false));
});

describe("user patterns", () => {
  it("adds directory prefixes, globs and regexes to the defaults", () => {
    const ignored = compileIgnore(["/opt/sandbox/", "/srv/*/cache/*.so", "re:\\.jit$"]);
    expect(ignored("/opt/sandbox/a/b.so")).toBe(true);
    expect(ignored("/opt/sandboxed/b.so")).toBe(false);
    expect(ignored("/srv/app1/cache/x.so")).toBe(true);
    expect(ignored("/srv/app1/lib/x.so")).toBe(false);
    expect(ignored("/usr/lib/code.jit")).toBe(true);
    expect(ignored("/memfd:x")).toBe(true); // defaults stay
  });

  it.each([["relative/path"], ["/"], ["re:("], ["re:"]])("rejects %s with a stable code", (pattern) => {
    let err: unknown;
    try {
      compileIgnore([pattern]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe("LASTSEEN_ERR_SCAN_IGNORE_PATTERN");
    expect((err as ScanError).message).toContain(JSON.stringify(pattern));
  });
});

describe("docs/stale-libs.md", () => {
  const doc = readFileSync(new URL("../../../docs/stale-libs.md", import.meta.url), "utf8");
  it.each(DEFAULT_IGNORE.map((r) => [r.pattern]))("lists the default pattern %s", (pattern) => {
    expect(doc).toContain(`| \`${pattern}\` |`);
  });
});
