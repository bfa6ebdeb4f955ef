// Helpers for tests with real processes that map a deleted library, made as a package manager
// makes them: copy a real shared library, preload it into a process, then replace the file by
// writing a new copy beside it and renaming it over the old one (dpkg's .dpkg-new dance).
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { compileIgnore } from "../../../agent/probes/stale-libs/ignore.js";

const LIB_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib"];

/** A small real shared library to copy (zlib is on every Debian, Fedora and Arch system). */
export function findSharedLibrary(): string {
  for (const dir of LIB_DIRS) {
    const p = join(dir, "libz.so.1");
    if (existsSync(p)) return p;
  }
  throw new Error(`no libz.so.1 in ${LIB_DIRS.join(", ")}`);
}

/**
 * A fresh directory for the library copies, outside every default ignore rule (so not under
 * /tmp, /var/tmp or /run, which hold no package code): /var/lib when writable (root, CI), else
 * the home directory.
 */
export function makeLibDir(prefix = "lastseen-test-"): string {
  const ignored = compileIgnore();
  const parents = [process.env.LASTSEEN_TEST_LIBDIR, "/var/lib", homedir()].filter((p): p is string => !!p);
  for (const parent of parents) {
    try {
      accessSync(parent, constants.W_OK);
    } catch {
      continue; // not writable for this user: try the next candidate
    }
    const dir = mkdtempSync(join(parent, prefix));
    if (!ignored(join(dir, "x.so"))) return dir;
  }
  throw new Error(`no writable directory outside the ignore list among ${parents.join(", ")}`);
}

export function sleepBinary(): string {
  for (const p of ["/usr/bin/sleep", "/bin/sleep"]) if (existsSync(p)) return p;
  throw new Error("no sleep binary");
}

/** Starts `exe 100000` (sleep) with `lib` preloaded, and waits until the library is mapped. */
export async function startPreloaded(lib: string | null, exe = sleepBinary(), wrap: string[] = []): Promise<ChildProcess> {
  const env = { ...process.env, ...(lib ? { LD_PRELOAD: lib } : {}) };
  const argv = [...wrap, exe, "100000"];
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: "ignore" });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", reject);
  });
  if (lib && wrap.length === 0) await waitFor(() => mapsOf(child.pid!).includes(lib), `pid ${child.pid} maps ${lib}`);
  return child;
}

/** Replaces a file as dpkg does: a new copy beside it, renamed over it. */
export function replaceByRename(path: string, from = path): void {
  const tmp = `${path}.dpkg-new`;
  copyFileSync(from, tmp);
  renameSync(tmp, path);
}

export function mapsOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/maps`, "utf8");
  } catch {
    return ""; // not started yet, or gone: the caller waits or fails on its own condition
  }
}

export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills and waits for the exit of a child (no-op when it already exited). */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}
