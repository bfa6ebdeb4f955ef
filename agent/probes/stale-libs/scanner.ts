// The scan: every process in ROOT/proc, its executable mappings of deleted files, and for each
// process that has some, who it is and what to restart. Reads only; never executes anything it
// finds (needrestart's CVE-2024-48990..48992 came from running interpreters found in /proc).
//
// Cost model: one read of /proc/PID/maps per process (the floor, `cat /proc/[0-9]*/maps`, does
// the same), a byte search for the " (deleted)" marker, and a handful of small reads only for the
// few processes that have a finding.
import type { Placement } from "./cgroup.js";
import { parseCgroup, placementOf } from "./cgroup.js";
import type { ContainerRef } from "./container.js";
import { containerFromCgroup, containerLabel } from "./container.js";
import { errnoCode, isDenied, isVanished } from "./errors.js";
import type { IgnoreMatcher } from "./ignore.js";
import { compileIgnore } from "./ignore.js";
import { deletedExecutable, deletedExecutableMappings } from "./maps.js";
import type { NamespaceIds } from "./namespaces.js";
import { namespaceVerdict } from "./namespaces.js";
import { parsePasswd, userNames } from "./passwd.js";
import { stripPackageSuffix } from "./paths.js";
import type { ProcSource } from "./proc-source.js";
import { createFsProcSource } from "./proc-source.js";
import { parseBootTime, parseCmdline, parseEffectiveUid, parseStat, startedAtMs } from "./proc-stat.js";
import type { RestartTarget } from "./restart-target.js";
import { restartTarget } from "./restart-target.js";

export interface ScanOptions {
  /** Root under which proc/ and etc/ are read ("/" by default). */
  root?: string;
  /** The I/O seam; by default reads under `root`. */
  source?: ProcSource;
  /** Report processes in other PID/mount namespaces (containers). Off by default. */
  containers?: boolean;
  /** Extra ignore patterns (see ignore.ts), added to the default list. */
  ignore?: readonly string[];
  /** Longest parent chain walked for plain processes. */
  maxParents?: number;
}

export interface ParentRef {
  pid: number;
  name: string;
}

export interface StaleProcessInfo {
  pid: number;
  name: string;
  ppid: number;
  uid: number | null;
  user: string;
  cmdline: string;
  /** 0 when unknown. */
  startedAtMs: number;
  /** Deleted files still mapped executable, package suffixes stripped, sorted, unique. */
  deleted: string[];
  /** The executable itself was deleted (its path is in `deleted` too). */
  exeDeleted: boolean;
  /** That executable's path, when exeDeleted. */
  deletedExe: string | null;
  placement: Placement;
  /** "docker:3f2a1b0c9d8e", "pidns:4026532179"...; null for the host. */
  container: string | null;
  target: RestartTarget;
  /** Parent chain (nearest first) for plain processes; empty otherwise. */
  parents: ParentRef[];
}

export interface ScanResult {
  processes: StaleProcessInfo[];
  /** Processes whose maps were read (kernel threads and zombies included). */
  scanned: number;
  /** Processes that exited between the listing of /proc and the reading of their files. */
  vanished: number;
  /** Processes whose files this user may not read. */
  denied: number;
  /** Processes with findings left out because they run in another namespace (containers off). */
  inOtherNamespaces: number;
}

interface Candidate {
  pid: string;
  deleted: string[];
  deletedExe: string | null;
}

type Outcome = StaleProcessInfo | "vanished" | "denied" | "foreign";

export function scanStaleProcesses(opts: ScanOptions = {}): ScanResult {
  const source = opts.source ?? createFsProcSource(opts.root ?? "/");
  const ignored = compileIgnore(opts.ignore ?? []);
  const result: ScanResult = { processes: [], scanned: 0, vanished: 0, denied: 0, inOtherNamespaces: 0 };
  const ctx = new AttributionContext(source, opts.containers === true, opts.maxParents ?? 16);

  for (const pid of source.listPids()) {
    let candidate: Candidate | null;
    try {
      candidate = findDeleted(source, pid, ignored);
    } catch (err) {
      const skip = skipReason(err);
      if (skip === null) throw err;
      result[skip]++;
      continue;
    }
    result.scanned++;
    if (!candidate) continue;
    const outcome = ctx.attribute(candidate);
    if (outcome === "vanished") result.vanished++;
    else if (outcome === "denied") result.denied++;
    else if (outcome === "foreign") result.inOtherNamespaces++;
    else result.processes.push(outcome);
  }
  result.processes.sort((a, b) => a.pid - b.pid);
  return result;
}

/**
 * How an expected per-process failure is counted: the process went away, or one of its files
 * could not be read (EACCES/EPERM, or any other errno: "cannot read" is counted, never fatal).
 * null for anything that is not an fs error: a bug, rethrown.
 */
function skipReason(err: unknown): "vanished" | "denied" | null {
  if (isVanished(err)) return "vanished";
  if (isDenied(err) || errnoCode(err) !== "") return "denied";
  return null;
}

function findDeleted(source: ProcSource, pid: string, ignored: IgnoreMatcher): Candidate | null {
  const maps = source.readProc(`${pid}/maps`);
  if (maps.length === 0) return null; // kernel thread or zombie
  const raw = deletedExecutableMappings(maps);
  if (raw.length === 0) return null;
  // A deleted executable always shows as an executable mapping too, so /proc/PID/exe is read only
  // for processes that have at least one; it tells "the binary itself" from "a library".
  const exe = deletedExecutable(source.readProcLink(`${pid}/exe`));
  const exePath = exe === null ? null : stripPackageSuffix(exe);
  const kept = new Set<string>();
  for (const p of exe === null ? raw : [exe, ...raw]) {
    const path = stripPackageSuffix(p);
    if (!ignored(path)) kept.add(path);
  }
  if (kept.size === 0) return null;
  return { pid, deleted: [...kept].sort(), deletedExe: exePath !== null && kept.has(exePath) ? exePath : null };
}

/** Reads what a candidate needs (and the few host facts, once, lazily). */
class AttributionContext {
  private users: ((uid: number) => string) | null = null;
  private bootTimeS: number | null | undefined = undefined;
  private refNs: NamespaceIds | null | undefined = undefined;

  constructor(
    private readonly source: ProcSource,
    private readonly containers: boolean,
    private readonly maxParents: number,
  ) {}

  attribute(c: Candidate): Outcome {
    try {
      return this.attributeOrThrow(c);
    } catch (err) {
      const skip = skipReason(err);
      if (skip === null) throw err;
      return skip;
    }
  }

  private attributeOrThrow(c: Candidate): Outcome {
    const { source } = this;
    const stat = parseStat(source.readProcText(`${c.pid}/stat`));
    if (!stat) return "vanished"; // an exiting process can yield a truncated stat
    const cgroup = parseCgroup(source.readProcText(`${c.pid}/cgroup`));
    const placement = placementOf(cgroup.systemdPath);
    const ns = this.namespacesOf(c.pid);
    const verdict = namespaceVerdict(ns, this.referenceNamespaces(), placement);
    let container: ContainerRef | null = null;
    if (verdict.foreign) {
      if (!this.containers) return "foreign";
      container = containerFromCgroup(cgroup.allPaths) ?? { runtime: "namespace", id: verdict.fallbackId };
    }
    const uid = parseEffectiveUid(source.readProcText(`${c.pid}/status`));
    const cmdline = parseCmdline(source.readProcText(`${c.pid}/cmdline`));
    const user = uid === null ? "" : this.userName(uid);
    const pid = Number(c.pid);
    const target = restartTarget({ pid, name: stat.comm, user, placement, container });
    const boot = this.bootTime();
    return {
      pid,
      name: stat.comm,
      ppid: stat.ppid,
      uid,
      user,
      cmdline,
      startedAtMs: boot === null ? 0 : startedAtMs(stat.startTicks, boot),
      deleted: c.deleted,
      exeDeleted: c.deletedExe !== null,
      deletedExe: c.deletedExe,
      placement,
      container: container ? containerLabel(container) : null,
      target,
      parents: target.kind === "process" ? this.parentChain(stat.ppid) : [],
    };
  }

  private namespacesOf(pid: string): NamespaceIds {
    return { pid: this.link(`${pid}/ns/pid`), mnt: this.link(`${pid}/ns/mnt`) };
  }

  /** A namespace link, or null when it may not be read (the process is then taken as the host's). */
  private link(rel: string): string | null {
    try {
      return this.source.readProcLink(rel);
    } catch (err) {
      if (isDenied(err)) return null;
      throw err;
    }
  }

  /** PID 1's namespaces, or the scanner's own when PID 1's may not be read. */
  private referenceNamespaces(): NamespaceIds | null {
    if (this.refNs !== undefined) return this.refNs;
    for (const who of ["1", "self"]) {
      try {
        const ids = { pid: this.source.readProcLink(`${who}/ns/pid`), mnt: this.source.readProcLink(`${who}/ns/mnt`) };
        this.refNs = ids;
        return ids;
      } catch (err) {
        if (!isDenied(err) && !isVanished(err)) throw err;
      }
    }
    this.refNs = null;
    return null;
  }

  private userName(uid: number): string {
    this.users ??= userNames(parsePasswd(this.source.readHostText("etc/passwd")));
    return this.users(uid);
  }

  private bootTime(): number | null {
    if (this.bootTimeS === undefined) {
      let text: string | null;
      try {
        text = this.source.readProcText("stat");
      } catch (err) {
        if (!isDenied(err) && !isVanished(err)) throw err;
        text = null;
      }
      this.bootTimeS = text === null ? null : parseBootTime(text);
    }
    return this.bootTimeS;
  }

  /** Nearest parent first, up to (not including) PID 1 or the limit; stops quietly at a gap. */
  private parentChain(ppid: number): ParentRef[] {
    const chain: ParentRef[] = [];
    let pid = ppid;
    while (pid > 1 && chain.length < this.maxParents) {
      let text: string;
      try {
        text = this.source.readProcText(`${pid}/stat`);
      } catch (err) {
        if (isVanished(err) || isDenied(err)) break; // the parent exited: the chain ends here
        throw err;
      }
      const st = parseStat(text);
      if (!st) break;
      chain.push({ pid, name: st.comm });
      pid = st.ppid;
    }
    return chain;
  }
}
