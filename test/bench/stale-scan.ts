// Benchmark: the stale-library scan against needrestart, checkrestart, a shell one-liner and the
// floor (reading every maps file with cat), on a synthetic host built here.
//
//   node dist/test/bench/stale-scan.js [--processes 1000] [--stale 100] [--runs 10] [--slow-runs 3]
//
// It starts real processes (sleep), 100 of them with a copy of a real shared library preloaded,
// then replaces the copies by rename as dpkg does, so those processes map a deleted library.
// Every process also preloads a few common system libraries (--libs, default 8), which gives it
// about 107 maps lines: the average of the user-space processes of a small Debian server (a bare
// sleep has 25, which would flatter every tool whose cost grows with the mappings). Each stale
// process has a parent of its own (a waiting shell), as daemons each have their own service:
// needrestart does per-candidate work (hooks, package look-ups) for each distinct parent.
// Every tool runs in the same run, interleaved round by round so that machine noise hits all of
// them alike. It prints medians and ratios, and compares lastseen's findings with needrestart's.
// Run as root (needrestart and checkrestart read every process). No timing is asserted.
// Everything it starts is killed at the end (also on Ctrl-C); the library directory is removed.
import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkKernel } from "../../agent/probes/kernel/check.js";
import { compileIgnore, DEFAULT_IGNORE } from "../../agent/probes/stale-libs/ignore.js";
import type { ScanResult } from "../../agent/probes/stale-libs/scanner.js";
import { scanStaleProcesses } from "../../agent/probes/stale-libs/scanner.js";

interface BenchOptions {
  processes: number;
  stale: number;
  runs: number;
  slowRuns: number;
  libs: number;
}

interface Tool {
  name: string;
  runs: number;
  /** Returns elapsed milliseconds of one run. */
  run: () => number;
  note: string;
}

const LIBS = 10;
const PLAIN_HOLDERS = 4;

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { processes: 1000, stale: 100, runs: 10, slowRuns: 3, libs: 8 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = Number(argv[i + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`bad value for ${key}: ${argv[i + 1]}`);
    if (key === "--processes") o.processes = value;
    else if (key === "--stale") o.stale = value;
    else if (key === "--runs") o.runs = value;
    else if (key === "--slow-runs") o.slowRuns = value;
    else if (key === "--libs") o.libs = value;
    else throw new Error(`unknown option ${key}`);
  }
  return o;
}

// ---------- the synthetic host ----------

const holders: ChildProcess[] = [];
let libDir = "";

function findLibrary(): string {
  for (const dir of ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib"]) {
    const p = join(dir, "libz.so.1");
    if (existsSync(p)) return p;
  }
  throw new Error("no libz.so.1 found to copy");
}

/** Common system libraries that exist here, to give every process a realistic number of mappings. */
const BULK = ["libz.so.1", "libcrypto.so.3", "libssl.so.3", "libstdc++.so.6", "libgcc_s.so.1", "libsystemd.so.0", "libzstd.so.1", "liblzma.so.5", "libcap.so.2", "libpcre2-8.so.0", "libgcrypt.so.20", "libgpg-error.so.0"];

function bulkLibraries(count: number, beside: string): string[] {
  return BULK.map((name) => join(dirname(beside), name)).filter((p) => existsSync(p)).slice(0, count);
}

/** Outside every default ignore rule (and needrestart's blacklist, which also skips /tmp and /run). */
function makeLibDir(): string {
  const ignored = compileIgnore();
  for (const parent of ["/var/lib", homedir()]) {
    try {
      accessSync(parent, constants.W_OK);
    } catch {
      continue; // not writable: next candidate
    }
    const dir = mkdtempSync(join(parent, "lastseen-bench-"));
    if (!ignored(join(dir, "x.so"))) return dir;
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error("no writable directory outside the ignore list (run as root)");
}

/** A detached shell that starts `count` sleeps and waits for them; its process group is ours to kill. */
function startHolder(lines: string[]): ChildProcess {
  const script = `${lines.join("\n")}\nwait\n`;
  const child = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
  holders.push(child);
  return child;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number);
  } catch {
    return []; // the holder is not up yet
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Host {
  stalePids: Set<number>;
  spawned: number;
  libs: string[];
  bulk: string[];
}

async function buildHost(o: BenchOptions): Promise<Host> {
  const sleep = existsSync("/usr/bin/sleep") ? "/usr/bin/sleep" : "/bin/sleep";
  const source = findLibrary();
  libDir = makeLibDir();
  const libs = Array.from({ length: LIBS }, (_, i) => join(libDir, `libbench${i}.so.1`));
  for (const lib of libs) copyFileSync(source, lib);

  const bulk = bulkLibraries(o.libs, source);
  const preload = (extra: string[]): string => [...bulk, ...extra].join(":");
  const holderCount = PLAIN_HOLDERS + 1;
  // Each stale process: a shell of its own that waits for it (2 processes).
  const plain = Math.max(0, o.processes - holderCount - 2 * o.stale);
  const staleHolder = startHolder(Array.from({ length: o.stale }, (_, i) => `/bin/sh -c 'LD_PRELOAD="${preload([libs[i % LIBS]!])}" ${sleep} 100000; exit 0' &`));
  const plainHolders: ChildProcess[] = [];
  for (let h = 0; h < PLAIN_HOLDERS; h++) {
    const n = Math.floor(plain / PLAIN_HOLDERS) + (h < plain % PLAIN_HOLDERS ? 1 : 0);
    plainHolders.push(startHolder([`i=0; while [ $i -lt ${n} ]; do LD_PRELOAD="${preload([])}" ${sleep} 100000 & i=$((i+1)); done`]));
  }
  const staleGrandchildren = (): number[] => childrenOf(staleHolder.pid!).flatMap((sh) => childrenOf(sh));
  await waitFor(() => staleGrandchildren().length === o.stale, `${o.stale} stale processes`);
  await waitFor(() => plainHolders.reduce((s, h) => s + childrenOf(h.pid!).length, 0) === plain, `${plain} plain processes`);
  const stalePids = new Set(staleGrandchildren());
  await waitFor(() => [...stalePids].every((pid) => readFileSync(`/proc/${pid}/maps`, "utf8").includes(libDir)), "the libraries to be mapped");
  // Replace every library as dpkg does: a new copy beside it, renamed over it.
  for (const lib of libs) {
    copyFileSync(source, `${lib}.dpkg-new`);
    renameSync(`${lib}.dpkg-new`, lib);
  }
  return { stalePids, spawned: holderCount + plain + 2 * o.stale, libs, bulk };
}

function cleanup(): void {
  for (const h of holders) {
    try {
      process.kill(-h.pid!, "SIGKILL");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") console.error(`cannot kill process group ${h.pid}: ${(err as Error).message}`);
    }
  }
  holders.length = 0;
  if (libDir) rmSync(libDir, { recursive: true, force: true });
  libDir = "";
}

// ---------- the tools ----------

function timeCommand(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: "ignore", cwd: "/" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw new Error(`${cmd} failed to start: ${r.error.message}`);
  return ms;
}

function timeInProcess(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const here = dirname(fileURLToPath(import.meta.url));
const distRoot = join(here, "..", "..");

/** `lastseen-agent scan --json` end to end: the CLI when it has the command, else scanCommand. */
function cliInvocation(): { args: string[]; note: string } {
  const cli = join(distRoot, "agent", "cli.js");
  if (existsSync(cli)) {
    const probe = spawnSync(process.execPath, [cli, "scan", "--json"], { encoding: "utf8", cwd: "/" });
    if (probe.status === 0 && probe.stdout.trimStart().startsWith("{")) return { args: [cli, "scan", "--json"], note: "node dist/agent/cli.js scan --json" };
  }
  const scan = join(distRoot, "agent", "commands", "scan.js");
  const code = `const m = await import(${JSON.stringify(scan)}); process.exitCode = await m.scanCommand({ json: true }, process.stdout);`;
  return { args: ["--input-type=module", "-e", code], note: "node -e scanCommand({json:true}) (CLI not wired yet)" };
}

const SEED = `ps axh -o pid | while read PID; do grep ".so" /proc/$PID/maps 2>/dev/null | grep "(deleted)" | sed "s|^|$PID |"; done > /dev/null`;
const FLOOR = "cat /proc/[0-9]*/maps > /dev/null 2>&1; true";

function tools(o: BenchOptions): Tool[] {
  const cli = cliInvocation();
  const list: Tool[] = [
    { name: "floor: cat /proc/[0-9]*/maps", runs: o.runs, run: () => timeCommand("/bin/sh", ["-c", FLOOR]), note: FLOOR },
    { name: "lastseen scan (in-process)", runs: o.runs, run: () => timeInProcess(() => scanStaleProcesses()), note: "scanStaleProcesses(), no Node start-up" },
    { name: "lastseen scan+kernel (in-process)", runs: o.runs, run: () => timeInProcess(() => [scanStaleProcesses(), checkKernel()]), note: "what one agent collect() reads" },
    { name: "node start-up alone", runs: o.runs, run: () => timeCommand(process.execPath, ["-e", "0"]), note: "node -e 0" },
    { name: "lastseen-agent scan --json (CLI)", runs: o.runs, run: () => timeCommand(process.execPath, cli.args), note: cli.note },
    { name: "seed one-liner (ps | grep)", runs: o.slowRuns, run: () => timeCommand("/bin/sh", ["-c", SEED]), note: "3 forks per process" },
  ];
  if (existsSync("/usr/sbin/checkrestart")) list.push({ name: "checkrestart", runs: o.slowRuns, run: () => timeCommand("/usr/sbin/checkrestart", []), note: "debian-goodies" });
  if (existsSync("/usr/sbin/needrestart")) list.push({ name: "needrestart -b", runs: o.slowRuns, run: () => timeCommand("/usr/sbin/needrestart", ["-b"]), note: "needrestart, batch mode" });
  return list;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------- findings ----------

interface NeedrestartFindings {
  /** pid -> the one path needrestart names (it stops at the first deleted mapping). */
  uses: Map<number, string>;
  /** pid -> parent pid it attributes the restart to. */
  childOf: Map<number, number>;
}

function needrestartFindings(): NeedrestartFindings | null {
  if (!existsSync("/usr/sbin/needrestart")) return null;
  const r = spawnSync("/usr/sbin/needrestart", ["-b", "-v"], { encoding: "utf8", cwd: "/", maxBuffer: 256 * 1024 * 1024 });
  const text = `${r.stdout}\n${r.stderr}`;
  const uses = new Map<number, string>();
  const childOf = new Map<number, number>();
  for (const line of text.split("\n")) {
    const u = /^\[main\] #(\d+) uses (?:deleted|obsolete binary|obsolete|non-existing) (.*)$/.exec(line);
    if (u) uses.set(Number(u[1]), u[2]!);
    const c = /^\[main\] #(\d+) is a child of #(\d+)$/.exec(line);
    if (c) childOf.set(Number(c[1]), Number(c[2]));
  }
  return { uses, childOf };
}

function whyIgnored(path: string): string | null {
  for (const rule of DEFAULT_IGNORE) if (compileIgnore([], [rule])(path)) return `${rule.pattern} (${rule.why})`;
  return null;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?"; // exited since
  }
}

function compareFindings(ours: ScanResult, theirs: NeedrestartFindings, host: Host): string[] {
  const out: string[] = [];
  const mine = new Map(ours.processes.map((p) => [p.pid, p]));
  const both = [...theirs.uses.keys()].filter((pid) => mine.has(pid));
  const onlyTheirs = [...theirs.uses.keys()].filter((pid) => !mine.has(pid));
  const onlyMine = [...mine.keys()].filter((pid) => !theirs.uses.has(pid));
  out.push(`needrestart flags ${theirs.uses.size} processes, lastseen ${mine.size}; both: ${both.length}.`);
  const synthetic = [...host.stalePids];
  out.push(`synthetic stale processes found: lastseen ${synthetic.filter((p) => mine.has(p)).length}/${synthetic.length}, needrestart ${synthetic.filter((p) => theirs.uses.has(p)).length}/${synthetic.length}.`);

  const groups = new Map<string, number[]>();
  const add = (why: string, pid: number): void => {
    const list = groups.get(why) ?? [];
    list.push(pid);
    groups.set(why, list);
  };
  for (const pid of onlyTheirs) {
    const path = theirs.uses.get(pid)!;
    const rule = whyIgnored(path);
    add(rule ? `only needrestart: ${path.replace(/[0-9a-f]{8,}/g, "*")}, ignored by lastseen's rule ${rule}` : `only needrestart: ${path} (not ignored by lastseen: check)`, pid);
  }
  for (const pid of onlyMine) {
    const p = mine.get(pid)!;
    add(`only lastseen: ${p.name} using ${p.deleted[0]}${p.deleted.length > 1 ? ` (+${p.deleted.length - 1})` : ""}: needrestart's blacklist or interpreter rules, or the process started after its scan`, pid);
  }
  for (const [why, pids] of groups) out.push(`${why}: ${pids.length} (${pids.slice(0, 5).map((p) => `${commOf(p)} ${p}`).join(", ")}${pids.length > 5 ? ", ..." : ""})`);

  const multi = both.filter((pid) => mine.get(pid)!.deleted.length > 1).length;
  out.push(`paths: needrestart names one path per process (it stops at the first deleted mapping); lastseen lists all: ${multi} of the common processes map more than one deleted file.`);
  const reparented = both.filter((pid) => theirs.childOf.has(pid));
  if (reparented.length > 0) {
    const parents = new Set(reparented.map((pid) => theirs.childOf.get(pid)!));
    out.push(
      `attribution: needrestart hands ${reparented.length} stale processes over to ${parents.size} parent(s) (${[...parents].slice(0, 5).map((p) => `${commOf(p)} ${p}`).join(", ")}) and would restart those; lastseen reports each stale process with its parent chain and unit.`,
    );
  }
  return out;
}

// ---------- main ----------

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const o = parseArgs(argv);
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    console.log(`Building a synthetic host: ${o.processes} processes, ${o.stale} with a preloaded library replaced by rename...`);
    const host = await buildHost(o);
    const total = readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
    const sample = [...host.stalePids][0]!;
    console.log(`each process preloads ${host.bulk.length} system libraries (${host.bulk.map((b) => b.split("/").pop()).join(", ")}): a stale one has ${readFileSync(`/proc/${sample}/maps`, "utf8").split("\n").length - 1} maps lines.`);
    const check = scanStaleProcesses();
    const found = [...host.stalePids].filter((pid) => check.processes.some((p) => p.pid === pid)).length;
    console.log(`host: ${total} processes in /proc (${host.spawned} started here), lastseen finds ${found}/${host.stalePids.size} synthetic stale processes, ${check.processes.length} stale in all.`);
    if (found !== host.stalePids.size) throw new Error("the scan missed synthetic stale processes: the benchmark would measure the wrong thing");

    const list = tools(o);
    const times = new Map<string, number[]>(list.map((t) => [t.name, []]));
    for (const t of list) t.run(); // one warm-up each (page cache, JIT)
    const rounds = Math.max(...list.map((t) => t.runs));
    for (let r = 0; r < rounds; r++) {
      for (const t of list) if (r < t.runs) times.get(t.name)!.push(t.run());
    }

    const med = (name: string): number => median(times.get(name) ?? [NaN]);
    console.log("");
    console.log(`${"tool".padEnd(36)}${"runs".padStart(5)}${"median ms".padStart(12)}${"min ms".padStart(10)}${"max ms".padStart(10)}  note`);
    for (const t of list) {
      const xs = times.get(t.name)!;
      console.log(`${t.name.padEnd(36)}${String(xs.length).padStart(5)}${med(t.name).toFixed(1).padStart(12)}${Math.min(...xs).toFixed(1).padStart(10)}${Math.max(...xs).toFixed(1).padStart(10)}  ${t.note}`);
    }

    const cli = med("lastseen-agent scan --json (CLI)");
    const own = med("lastseen scan (in-process)");
    const floor = med("floor: cat /proc/[0-9]*/maps");
    console.log("");
    console.log("ratios (medians):");
    if (times.has("needrestart -b")) console.log(`  needrestart -b / lastseen CLI           ${(med("needrestart -b") / cli).toFixed(1)}x   (goal >= 20x)`);
    if (times.has("checkrestart")) console.log(`  checkrestart / lastseen CLI             ${(med("checkrestart") / cli).toFixed(1)}x   (goal > 1x)`);
    console.log(`  seed one-liner / lastseen CLI           ${(med("seed one-liner (ps | grep)") / cli).toFixed(1)}x`);
    console.log(`  lastseen scan (in-process) / floor      ${(own / floor).toFixed(2)}x   (goal <= 3x)`);
    console.log(`  lastseen CLI - node start-up            ${(cli - med("node start-up alone")).toFixed(1)} ms`);

    console.log("");
    console.log("findings, lastseen vs needrestart on this host:");
    const theirs = needrestartFindings();
    if (!theirs) console.log("  needrestart is not installed (apt-get install needrestart)");
    else for (const line of compareFindings(scanStaleProcesses(), theirs, host)) console.log(`  ${line}`);
  } finally {
    cleanup();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    cleanup();
    console.error(err);
    process.exitCode = 1;
  });
}
