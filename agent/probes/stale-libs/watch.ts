// Noticing package transactions without a hook: watch the package databases and call trigger()
// (the agent debounces). fs.watch (inotify) gives the news at once; a cheap stat poll catches what
// inotify misses (watch limits reached, a database that appears later, network filesystems).
import type { FSWatcher, Stats } from "node:fs";
import { statSync, watch } from "node:fs";
import { join } from "node:path";

interface DbTarget {
  /** Directory watched, relative to root. */
  dir: string;
  /** Events on these names only (null: any event in the directory). */
  names: readonly string[] | null;
  /** What the poll stats: the directory itself ("") and/or files in it. */
  polled: readonly string[];
}

/** dpkg rewrites status by rename; pacman adds and removes one directory per package; rpm updates its db files in place. */
export const PACKAGE_DATABASES: readonly DbTarget[] = [
  { dir: "var/lib/dpkg", names: ["status"], polled: ["status"] },
  { dir: "var/lib/pacman/local", names: null, polled: [""] },
  { dir: "var/lib/rpm", names: null, polled: ["", "rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"] },
];

export interface WatchLog {
  warn(obj: object, msg: string): void;
}

export interface PackageWatchOptions {
  root?: string;
  /** Stat poll period; 0 disables the poll. */
  pollMs?: number;
  log?: WatchLog;
  targets?: readonly DbTarget[];
}

/** Starts watching; returns the function that stops it. */
export function watchPackageDatabases(opts: PackageWatchOptions, trigger: () => void): () => void {
  const root = opts.root ?? "/";
  const targets = opts.targets ?? PACKAGE_DATABASES;
  const pollMs = opts.pollMs ?? 30_000;
  const watchers = new Map<string, FSWatcher>();
  let stopped = false;

  const fire = (): void => {
    if (!stopped) trigger();
  };

  const startWatcher = (t: DbTarget): void => {
    const dir = join(root, t.dir);
    if (watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, filename) => {
        if (t.names === null || filename === null || t.names.includes(String(filename))) fire();
      });
    } catch (err) {
      // Absent database (not this distribution) or no inotify watches left: the poll covers it.
      if (!isNotFound(err)) opts.log?.warn({ err, dir }, "cannot watch package database, relying on the stat poll");
      return;
    }
    w.on("error", (err) => {
      opts.log?.warn({ err, dir }, "package database watch failed, relying on the stat poll");
      w.close();
      watchers.delete(dir);
    });
    watchers.set(dir, w);
  };

  const signatures = new Map<string, string>();
  const signatureOf = (t: DbTarget): string =>
    t.polled.map((name) => statSignature(join(root, t.dir, name))).join("|");

  for (const t of targets) {
    startWatcher(t);
    signatures.set(t.dir, signatureOf(t));
  }

  const timer =
    pollMs > 0
      ? setInterval(() => {
          for (const t of targets) {
            const sig = signatureOf(t);
            if (sig !== signatures.get(t.dir)) {
              signatures.set(t.dir, sig);
              startWatcher(t); // a database that appeared since: watch it from now on
              fire();
            }
          }
        }, pollMs)
      : null;
  timer?.unref();

  return () => {
    stopped = true;
    if (timer) clearInterval(timer);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}

function statSignature(path: string): string {
  let st: Stats | undefined;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    // Unreadable (EACCES): a stable marker, so only a change of state triggers.
    return `error:${(err as NodeJS.ErrnoException).code ?? "unknown"}`;
  }
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : "absent";
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
