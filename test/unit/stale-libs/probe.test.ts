// The probe: collect() on a fixture root, and watch() on a real directory tree with fs.watch and
// the stat poll.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ProbeContext } from "../../../agent/probes/probe.js";
import { createStaleLibsProbe } from "../../../agent/probes/stale-libs/probe.js";
import { watchPackageDatabases } from "../../../agent/probes/stale-libs/watch.js";
import { checkBody } from "../../../proto/codec.js";

const root = fileURLToPath(new URL("../../fixtures/proc/cgroup-v2-debian", import.meta.url));

function context(): ProbeContext & { abort: () => void } {
  const ac = new AbortController();
  return { log: pino({ level: "silent" }), signal: ac.signal, abort: () => ac.abort() };
}

/** Resolves when `cond` holds, polling; rejects after `ms` (a liveness bound, not a timing claim). */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("createStaleLibsProbe", () => {
  it("collects a valid staleReport with a stable fingerprint", async () => {
    let clock = 1_000;
    const probe = createStaleLibsProbe({ root, now: () => clock });
    expect(probe.name).toBe("stale-libs");
    expect(probe.intervalMs).toBe(600_000);
    const ctx = context();
    const a = await probe.collect(ctx);
    clock = 2_000;
    const b = await probe.collect(ctx);
    expect(a).not.toBeNull();
    expect(a!.body.kind).toBe("staleReport");
    expect(() => checkBody(a!.body)).not.toThrow();
    if (a!.body.kind !== "staleReport" || b!.body.kind !== "staleReport") throw new Error("wrong kind");
    expect(a!.body.value.scannedAtMs).toBe(1_000);
    expect(b!.body.value.scannedAtMs).toBe(2_000);
    expect(b!.fingerprint).toBe(a!.fingerprint);
    expect(a!.body.value.processes).toHaveLength(12);
    expect(a!.body.value.kernel).toMatchObject({ running: "6.1.0-18-amd64", installed: "6.1.0-21-amd64", rebootRequired: true });
  });

  it("changes the fingerprint when the findings change", async () => {
    const all = await createStaleLibsProbe({ root }).collect(context());
    const fewer = await createStaleLibsProbe({ root, ignore: ["/usr/sbin/nginx"] }).collect(context());
    expect(fewer!.fingerprint).not.toBe(all!.fingerprint);
  });

  it("rejects a bad ignore pattern when created", () => {
    expect(() => createStaleLibsProbe({ ignore: ["relative"] })).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_SCAN_IGNORE_PATTERN" }));
  });
});

describe("package database watch", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = "";
  });

  it("triggers when dpkg replaces its status file by rename, and stops when aborted", async () => {
    dir = mkdtempSync(join(tmpdir(), "lastseen-watch-"));
    mkdirSync(join(dir, "var/lib/dpkg"), { recursive: true });
    writeFileSync(join(dir, "var/lib/dpkg/status"), "Package: a\n");
    const probe = createStaleLibsProbe({ root: dir, pollMs: 0 });
    const ctx = context();
    let n = 0;
    const stop = probe.watch!(ctx, () => n++);
    // Unrelated files in the same directory do not trigger.
    writeFileSync(join(dir, "var/lib/dpkg/lock"), "");
    await new Promise((r) => setTimeout(r, 200));
    expect(n).toBe(0);
    writeFileSync(join(dir, "var/lib/dpkg/status-new"), "Package: a\nPackage: b\n");
    renameSync(join(dir, "var/lib/dpkg/status-new"), join(dir, "var/lib/dpkg/status"));
    await until(() => n > 0);
    ctx.abort();
    const seen = n;
    writeFileSync(join(dir, "var/lib/dpkg/status-new"), "Package: c\n");
    renameSync(join(dir, "var/lib/dpkg/status-new"), join(dir, "var/lib/dpkg/status"));
    await new Promise((r) => setTimeout(r, 200));
    expect(n).toBe(seen);
    stop(); // idempotent after abort
  });

  it("triggers on pacman's local db (a package directory added)", async () => {
    dir = mkdtempSync(join(tmpdir(), "lastseen-watch-"));
    mkdirSync(join(dir, "var/lib/pacman/local"), { recursive: true });
    let n = 0;
    const stop = watchPackageDatabases({ root: dir, pollMs: 0 }, () => n++);
    mkdirSync(join(dir, "var/lib/pacman/local/glibc-2.39-1"));
    await until(() => n > 0);
    stop();
  });

  it("the stat poll notices an rpm db that appears after start (no watch was possible)", async () => {
    dir = mkdtempSync(join(tmpdir(), "lastseen-watch-"));
    let n = 0;
    const stop = watchPackageDatabases({ root: dir, pollMs: 50 }, () => n++);
    await new Promise((r) => setTimeout(r, 150));
    expect(n).toBe(0); // nothing changes, nothing fires
    mkdirSync(join(dir, "var/lib/rpm"), { recursive: true });
    writeFileSync(join(dir, "var/lib/rpm/rpmdb.sqlite"), "x");
    await until(() => n > 0);
    const afterAppear = n;
    // From now on it is also watched: an in-place update triggers.
    writeFileSync(join(dir, "var/lib/rpm/rpmdb.sqlite"), "xy");
    await until(() => n > afterAppear);
    stop();
  });
});
