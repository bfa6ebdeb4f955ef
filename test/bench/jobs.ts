// Benchmarks for backup/scheduled jobs: the cost of judging a job (evaluateJob, run by the
// collector's engine for every job at every timer) and the overhead `job run` adds to a command.
// Prints tables and ratios; asserts nothing about timing.
//
//   node dist/test/bench/jobs.js
import { spawn } from "node:child_process";
import { appendFileSync, closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { runJob } from "../../agent/jobs/run.js";
import type { JobRuleInput, JobSchedule } from "../../collector/rules/job-schedule.js";
import { evaluateJob, parseExpectation } from "../../collector/rules/job-schedule.js";

const H = 3_600_000;

function benchEvaluate(label: string, schedule: JobSchedule, n: number): { label: string; n: number; usPerOp: number } {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    // A different last end each time, so no call repeats the one before.
    const end = t0 + i * 61_000;
    const input: JobRuleInput = {
      schedule, windowStartMs: t0, lastStartMs: end - 60_000, lastEndMs: end, lastExitCode: 0, lastSignal: "",
      runningSinceMs: null, lastOkEndMs: end,
    };
    const v = evaluateJob(input, end + 5 * H);
    sink += v.nextCheckAtMs ?? 0;
  }
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === 42) console.log("");
  return { label, n, usPerOp: ns / n / 1000 };
}

function spawnTrue(): Promise<void> {
  return new Promise((res, rej) => {
    const c = spawn("true", [], { stdio: ["inherit", "pipe", "pipe"] });
    c.stdout.resume();
    c.stderr.resume();
    c.on("error", rej);
    c.on("close", () => res());
  });
}

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / n / 1e6;
}

export async function main(): Promise<void> {
  const every = parseExpectation({ every: "24h", grace: "1h" }, "bench");
  const cronUtc = parseExpectation({ cron: "30 2 * * *", timezone: "UTC", grace: "30m" }, "bench");
  const cronBerlin = parseExpectation({ cron: "30 2 * * *", timezone: "Europe/Berlin", grace: "30m" }, "bench");
  const cronHourly = parseExpectation({ cron: "*/15 * * * *", timezone: "America/New_York", grace: "5m" }, "bench");
  const n = 20_000;
  for (const s of [every, cronUtc, cronBerlin, cronHourly]) benchEvaluate("warm-up", s, 500);
  const rows = [
    benchEvaluate("every 24h", every, n),
    benchEvaluate("cron 30 2 * * * UTC", cronUtc, n),
    benchEvaluate("cron 30 2 * * * Europe/Berlin", cronBerlin, n),
    benchEvaluate("cron */15 * * * * America/New_York", cronHourly, n),
  ];
  console.log("\nevaluateJob (one job, one verdict)");
  console.log("schedule                               calls    us/call   calls/s   vs every");
  for (const r of rows) {
    console.log(`${r.label.padEnd(38)} ${String(r.n).padStart(6)} ${r.usPerOp.toFixed(2).padStart(10)} ${Math.round(1e6 / r.usPerOp).toString().padStart(9)} ${(r.usPerOp / rows[0]!.usPerOp).toFixed(1).padStart(9)}x`);
  }

  const dir = mkdtempSync(join(tmpdir(), "lastseen-bench-jobs-"));
  try {
    const spool = join(dir, "spool.jsonl");
    // Stands in for the agent's spool: append and fsync each event.
    const emit = async (body: unknown): Promise<void> => {
      appendFileSync(spool, `${JSON.stringify(body)}\n`);
      const fd = openSync(spool, "r");
      fsyncSync(fd);
      closeSync(fd);
    };
    const devNull = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
    const runs = 50;
    const variants = {
      direct: spawnTrue,
      noEmit: () => runJob({ name: "bench", command: "true", args: [], emit: async () => undefined, stdout: devNull(), stderr: devNull() }),
      wrapped: () => runJob({ name: "bench", command: "true", args: [], emit, stdout: devNull(), stderr: devNull() }),
    };
    // Three rounds, interleaved, after a warm-up; the median round counts (shared, noisy machines).
    for (const fn of Object.values(variants)) await timeIt(5, fn);
    const rounds: Record<keyof typeof variants, number[]> = { direct: [], noEmit: [], wrapped: [] };
    for (let r = 0; r < 3; r++) {
      for (const [k, fn] of Object.entries(variants)) rounds[k as keyof typeof variants].push(await timeIt(runs, fn));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
    const direct = median(rounds.direct);
    const noEmit = median(rounds.noEmit);
    const wrapped = median(rounds.wrapped);
    console.log("\njob run overhead (in-process runJob; `true` as the command)");
    console.log("variant                                    runs    ms/run    ratio   (median of 3 rounds)");
    console.log(`${"spawn true directly".padEnd(42)} ${String(runs).padStart(5)} ${direct.toFixed(2).padStart(9)} ${"1.0".padStart(8)}x`);
    console.log(`${"runJob, emit = no-op".padEnd(42)} ${String(runs).padStart(5)} ${noEmit.toFixed(2).padStart(9)} ${(noEmit / direct).toFixed(1).padStart(8)}x`);
    console.log(`${"runJob, emit = append + fsync (2 events)".padEnd(42)} ${String(runs).padStart(5)} ${wrapped.toFixed(2).padStart(9)} ${(wrapped / direct).toFixed(1).padStart(8)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
