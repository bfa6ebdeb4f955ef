// The scanner against the live /proc with real processes: a library replaced by rename as dpkg
// does, a deleted executable, a memfd-only process, processes that exit mid-scan, and a process
// in its own PID namespace.
import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanCommand } from "../../../agent/commands/scan.js";
import type { ProcSource } from "../../../agent/probes/stale-libs/proc-source.js";
import { createFsProcSource } from "../../../agent/probes/stale-libs/proc-source.js";
import { scanStaleProcesses } from "../../../agent/probes/stale-libs/scanner.js";
import { findSharedLibrary, makeLibDir, mapsOf, replaceByRename, sleepBinary, startPreloaded, stop, waitFor } from "./stale-host.js";
import { missing } from "../../helpers/requirement.js";

const children: ChildProcess[] = [];
let dir = "";
let original = "";

beforeAll(() => {
  dir = makeLibDir();
  original = findSharedLibrary();
});

afterAll(async () => {
  for (const c of children) await stop(c);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh copy of the library for one test. */
function libCopy(name: string): string {
  const p = join(dir, name);
  copyFileSync(original, p);
  return p;
}

function track<T extends ChildProcess>(c: T): T {
  children.push(c);
  return c;
}

function userNameOf(uid: number): string {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.split(":")[2] === String(uid));
  return line ? line.split(":")[0]! : String(uid);
}

describe("a library replaced by rename", () => {
  it("is reported with the process's pid and the library's path, only after the replacement", async () => {
    const lib = libCopy("libstale-a.so.1");
    const child = track(await startPreloaded(lib));
    const pid = child.pid!;

    const before = scanStaleProcesses();
    expect(before.processes.find((p) => p.pid === pid)).toBeUndefined();

    replaceByRename(lib, original);
    expect(mapsOf(pid)).toContain(`${lib} (deleted)`);

    const after = scanStaleProcesses();
    const found = after.processes.find((p) => p.pid === pid);
    expect(found).toMatchObject({ pid, name: "sleep", deleted: [lib], exeDeleted: false, user: userNameOf(process.getuid!()), ppid: process.pid });
    expect(found!.cmdline).toBe(`${sleepBinary()} 100000`);
    expect(Math.abs(found!.startedAtMs - Date.now())).toBeLessThan(10 * 60_000); // sane clock math, not a timing claim
  });

  it("shows up in `scan --json` as the interface documents", async () => {
    const lib = libCopy("libstale-b.so.1");
    const child = track(await startPreloaded(lib));
    replaceByRename(lib, original);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    const code = await scanCommand({ json: true }, out);
    expect(code).toBe(0);
    const doc = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { processes: { pid: number; name: string; unit: string | null; user: string; deleted: string[] }[]; kernel: { running: string }; skipped: { vanished: number; denied: number } };
    const p = doc.processes.find((x) => x.pid === child.pid);
    expect(p).toMatchObject({ name: "sleep", deleted: [lib] });
    expect(doc.kernel.running).toBe(readFileSync("/proc/sys/kernel/osrelease", "utf8").trim());
    expect(typeof doc.skipped.vanished).toBe("number");
  });
});

describe("a deleted executable", () => {
  it("is reported with exeDeleted", async () => {
    const exe = join(dir, "lastseen-test-sleep");
    copyFileSync(sleepBinary(), exe);
    const child = track(await startPreloaded(null, exe));
    await waitFor(() => mapsOf(child.pid!).includes(exe), "the executable mapped");
    replaceByRename(exe, sleepBinary());
    const found = scanStaleProcesses().processes.find((p) => p.pid === child.pid);
    expect(found).toMatchObject({ exeDeleted: true, deleted: [exe] });
  });
});

const python = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p));

describe("a memfd-only process", () => {
  it.skipIf(missing(Boolean(python), "python3"))("has a deleted executable memfd mapping and is not reported", async () => {
    const script = [
      "import mmap, os, sys, time",
      "fd = os.memfd_create('lastseen-test')",
      "os.write(fd, b'\\0' * 4096)",
      "m = mmap.mmap(fd, 4096, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_EXEC)",
      "print('ready', flush=True)",
      "time.sleep(100000)",
    ].join("\n");
    const child = track(spawn(python!, ["-c", script], { stdio: ["ignore", "pipe", "inherit"] }));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`python exited ${code}`)));
    });
    // The precondition that makes this test able to fail: the memfd mapping is there, executable,
    // and marked deleted.
    expect(mapsOf(child.pid!)).toMatch(/ r-xs .*\/memfd:lastseen-test \(deleted\)\n/);
    const r = scanStaleProcesses();
    expect(r.processes.find((p) => p.pid === child.pid)).toBeUndefined();
  });
});

/** Busy-waits (synchronously, inside a ProcSource call) until /proc/PID is gone. */
function killAndWaitGone(pid: number): void {
  process.kill(pid, "SIGKILL");
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > end) throw new Error(`pid ${pid} did not go away`);
    Atomics.wait(cell, 0, 0, 5);
  }
}

/**
 * A victim whose parent is a shell that waits for it, so that it is reaped (and /proc/PID
 * disappears) as soon as it is killed, even while this process is busy scanning.
 */
async function startVictim(lib: string): Promise<{ holder: ChildProcess; pid: number }> {
  const holder = track(spawn("/bin/sh", ["-c", `LD_PRELOAD=${lib} ${sleepBinary()} 100000 & echo $!; wait`], { stdio: ["ignore", "pipe", "inherit"] }));
  const pid = await new Promise<number>((resolve) => holder.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  await waitFor(() => mapsOf(pid).includes(lib), `victim ${pid} maps ${lib}`);
  return { holder, pid };
}

describe("a process that exits mid-scan", () => {
  it("is counted as vanished when it exits between the listing and the read of its maps", async () => {
    const lib = libCopy("libstale-c.so.1");
    const { pid } = await startVictim(lib);
    replaceByRename(lib, original);
    const real = createFsProcSource("/");
    let mapsError = "";
    const source: ProcSource = {
      ...real,
      listPids: () => {
        const pids = real.listPids();
        expect(pids).toContain(String(pid));
        killAndWaitGone(pid);
        return pids;
      },
      readProc: (rel) => {
        try {
          return real.readProc(rel);
        } catch (err) {
          if (rel === `${pid}/maps`) mapsError = (err as NodeJS.ErrnoException).code ?? "?";
          throw err;
        }
      },
    };
    const r = scanStaleProcesses({ source });
    expect(["ENOENT", "ESRCH"]).toContain(mapsError);
    expect(r.vanished).toBeGreaterThanOrEqual(1);
    expect(r.processes.find((p) => p.pid === pid)).toBeUndefined();
  });

  it("is counted as vanished when it exits after its maps were read, during attribution", async () => {
    const lib = libCopy("libstale-d.so.1");
    const { pid } = await startVictim(lib);
    replaceByRename(lib, original);
    const real = createFsProcSource("/");
    let sawMaps = false;
    const source: ProcSource = {
      ...real,
      listPids: () => real.listPids(),
      readProc: (rel) => {
        const buf = real.readProc(rel);
        if (rel === `${pid}/maps`) {
          sawMaps = buf.includes(`${lib} (deleted)`);
          killAndWaitGone(pid);
        }
        return buf;
      },
    };
    const r = scanStaleProcesses({ source });
    expect(sawMaps).toBe(true);
    expect(r.vanished).toBeGreaterThanOrEqual(1);
    expect(r.processes.find((p) => p.pid === pid)).toBeUndefined();
  });
});

const canUnshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"], { stdio: "ignore" }).status === 0;

describe("a process in its own PID namespace", () => {
  it.skipIf(missing(canUnshare, "unshare --pid (needs root)"))("is left out by default and reported as a container when asked", async () => {
    const lib = libCopy("libstale-e.so.1");
    // --kill-child: the process inside dies with unshare (it is PID 1 of its namespace and would
    // otherwise be reparented and outlive the test).
    const outer = track(spawn("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", "env", `LD_PRELOAD=${lib}`, sleepBinary(), "100000"], { stdio: "ignore" }));
    let inner = 0;
    await waitFor(() => {
      const kids = (() => {
        try {
          return readFileSync(`/proc/${outer.pid}/task/${outer.pid}/children`, "utf8").trim();
        } catch {
          return "";
        }
      })();
      inner = Number(kids.split(" ")[0] || 0);
      return inner > 0 && mapsOf(inner).includes(lib);
    }, "the process inside the namespace");
    replaceByRename(lib, original);

    const hidden = scanStaleProcesses();
    expect(hidden.processes.find((p) => p.pid === inner)).toBeUndefined();
    expect(hidden.inOtherNamespaces).toBeGreaterThanOrEqual(1);

    const shown = scanStaleProcesses({ containers: true });
    const p = shown.processes.find((x) => x.pid === inner);
    expect(p).toMatchObject({ deleted: [lib], target: { kind: "container" } });
    expect(p!.container).toMatch(/^pidns:\d+$/);

    await stop(outer);
    await waitFor(() => !existsSync(`/proc/${inner}`), "the namespaced process to exit with unshare");
  });
});
