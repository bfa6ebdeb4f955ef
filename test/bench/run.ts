// Runs every benchmark of this directory, one after the other, each in its own process.
//
//   node dist/test/bench/run.js [--full] [--only ingest,connections] [--skip stale-scan]
//
// Benchmarks are discovered: every NAME.js next to this file (not in subdirectories, which hold
// helpers) except run.js itself, in alphabetical order. Known benchmarks get quick arguments so
// that the whole suite takes minutes (QUICK below); --full runs each with its own defaults.
// A benchmark added by anyone is picked up without changes here. A failing benchmark is reported
// and the others still run; the exit code is 1 if any failed. Ctrl-C stops the running one.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { table } from "./lib/stats.js";

/** Short runs of the benchmarks that have long defaults. */
export const QUICK: Readonly<Record<string, string[]>> = {
  ingest: ["--agents", "10,100", "--window", "1000", "--events", "50000", "--runs", "1", "--heartbeat-seconds", "2"],
  connections: ["--connections", "2000", "--hold", "10"],
  "agent-footprint": ["--minutes", "1", "--startup-runs", "5"],
  "stale-scan": ["--processes", "300", "--stale", "30", "--runs", "3", "--slow-runs", "1"],
};

/** The benchmarks in a directory: NAME.js files, except this runner. */
export function discoverBenchmarks(dir: string, self = "run.js"): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".js") && e.name !== self)
    .map((e) => basename(e.name, ".js"))
    .sort();
}

function parse(argv: string[]): { full: boolean; only: string[] | null; skip: string[] } {
  const o = { full: false, only: null as string[] | null, skip: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--full") o.full = true;
    else if (a === "--only" && argv[i + 1]) o.only = argv[++i]!.split(",");
    else if (a === "--skip" && argv[i + 1]) o.skip = argv[++i]!.split(",");
    else throw new Error(`unknown option ${a}\nusage: node dist/test/bench/run.js [--full] [--only a,b] [--skip a,b]`);
  }
  return o;
}

let current: ChildProcess | null = null;

function runOne(file: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: "inherit" });
    current = child;
    child.on("error", (err) => {
      console.error(`cannot start ${file}: ${err.message}`);
      resolve({ code: -1, signal: null });
    });
    child.on("exit", (code, signal) => {
      current = null;
      resolve({ code, signal });
    });
  });
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const o = parse(argv);
  const dir = import.meta.dirname;
  const all = discoverBenchmarks(dir);
  for (const name of [...(o.only ?? []), ...o.skip]) {
    if (!all.includes(name)) throw new Error(`no benchmark named ${name} in ${dir} (found: ${all.join(", ")})`);
  }
  const chosen = all.filter((n) => (o.only ? o.only.includes(n) : true) && !o.skip.includes(n));
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    // The benchmark got the same Ctrl-C from the terminal; a SIGTERM from elsewhere is passed on.
    if (current && signal === "SIGTERM") current.kill("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  console.log(`benchmarks in ${dir}: ${chosen.join(", ")} (${o.full ? "full defaults" : "quick arguments"})`);
  const rows: (string | number)[][] = [];
  for (const name of chosen) {
    if (interrupted) break;
    const args = o.full ? [] : QUICK[name] ?? [];
    console.log(`\n=== ${name} ${args.join(" ")}`.trimEnd());
    const t0 = Date.now();
    const r = await runOne(join(dir, `${name}.js`), args);
    rows.push([name, ((Date.now() - t0) / 1000).toFixed(0), r.code === 0 ? "ok" : `FAILED (${r.signal ?? `exit ${r.code}`})`]);
  }
  console.log("\n=== summary");
  console.log(table(["benchmark", "seconds", "result"], rows));
  if (interrupted) process.exitCode = 130;
  else if (rows.some((r) => r[2] !== "ok")) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
