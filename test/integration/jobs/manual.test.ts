// job start / ok / fail with a real state directory, and the command layer the CLI calls.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { jobCommand, parseExitCode } from "../../../agent/commands/job.js";
import { JobError } from "../../../agent/jobs/errors.js";
import { jobFail, jobOk, jobStart } from "../../../agent/jobs/manual.js";
import type { AgentBody, JobEvent } from "../../../proto/types.js";

const root = mkdtempSync(join(tmpdir(), "lastseen-manual-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function setup(opts: { failEmit?: boolean } = {}) {
  const stateDir = join(root, `state-${n++}`);
  const events: JobEvent[] = [];
  const err = new PassThrough();
  const out = new PassThrough();
  let errText = "";
  let outText = "";
  err.on("data", (c: Buffer) => (errText += c.toString()));
  out.on("data", (c: Buffer) => (outText += c.toString()));
  let now = 1_800_000_000_000;
  const clock = (): number => now;
  const emit = async (body: AgentBody): Promise<void> => {
    if (opts.failEmit) throw new Error("disk full");
    if (body.kind === "jobEvent") events.push(body.value);
  };
  return {
    stateDir, events, emit, clock, stderr: err, stdout: out,
    advance: (ms: number) => (now += ms),
    errText: () => errText, outText: () => outText,
  };
}

describe("job start / ok / fail", () => {
  it("start stores the run; ok reports its duration and removes the file", async () => {
    const s = setup();
    const started = await jobStart({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr, pid: 4242 });
    const file = join(s.stateDir, "jobs", "nightly.run");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ runId: started.runId, startedAtMs: 1_800_000_000_000, pid: 4242 });
    // Written atomically: no temp files left behind.
    expect(readdirSync(join(s.stateDir, "jobs"))).toEqual(["nightly.run"]);
    s.advance(90_000);
    const ended = await jobOk({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr, message: "12 GiB" });
    expect(ended.runId).toBe(started.runId);
    expect(existsSync(file)).toBe(false);
    expect(s.events).toEqual([
      { job: "nightly", runId: started.runId, phase: "start", startedAtMs: 1_800_000_000_000, endedAtMs: 0, exitCode: null, signal: "", outputTail: "", message: "", pid: 4242 },
      { job: "nightly", runId: started.runId, phase: "end", startedAtMs: 1_800_000_000_000, endedAtMs: 1_800_000_090_000, exitCode: 0, signal: "", outputTail: "", message: "12 GiB", pid: 4242 },
    ]);
    expect(s.errText()).toBe("");
  });

  it("fail reports the exit code and message", async () => {
    const s = setup();
    await jobStart({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    s.advance(5000);
    await jobFail({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr, exitCode: 3, message: "repository locked" });
    expect(s.events[1]).toMatchObject({ phase: "end", exitCode: 3, message: "repository locked", endedAtMs: s.events[0]!.startedAtMs + 5000 });
  });

  it("fail with --exit-code 0 is still a failure", async () => {
    const s = setup();
    await jobFail({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr, exitCode: 0 });
    expect(s.events[0]).toMatchObject({ phase: "end", exitCode: 1 });
    expect(s.errText()).toContain("reporting exit code 1");
  });

  it("ok without a start reports a run of duration 0 and says so", async () => {
    const s = setup();
    await jobOk({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    expect(s.events).toHaveLength(1);
    expect(s.events[0]!.startedAtMs).toBe(s.events[0]!.endedAtMs);
    expect(s.events[0]!.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.errText()).toContain("no `job start` recorded for nightly");
  });

  it("--run-id ends that run; a different stored run stays", async () => {
    const s = setup();
    const a = await jobStart({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    s.advance(1000);
    await jobOk({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr, runId: "other-run" });
    expect(s.events[1]).toMatchObject({ runId: "other-run", startedAtMs: s.events[1]!.endedAtMs });
    expect(s.errText()).toContain("no start recorded for run other-run");
    expect(existsSync(join(s.stateDir, "jobs", "nightly.run"))).toBe(true);
    await jobOk({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr, runId: a.runId });
    expect(s.events[2]).toMatchObject({ runId: a.runId, startedAtMs: a.startedAtMs });
    expect(existsSync(join(s.stateDir, "jobs", "nightly.run"))).toBe(false);
  });

  it("a second start notes the run that never ended", async () => {
    const s = setup();
    const a = await jobStart({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    const b = await jobStart({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    expect(b.runId).not.toBe(a.runId);
    expect(s.errText()).toContain(`run ${a.runId}`);
  });

  it("a damaged run file is a warning, not a failure", async () => {
    const s = setup();
    mkdirSync(join(s.stateDir, "jobs"), { recursive: true });
    writeFileSync(join(s.stateDir, "jobs", "nightly.run"), "garbage");
    await jobOk({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    expect(s.events).toHaveLength(1);
    expect(s.errText()).toContain("is not a run file");
  });

  it("when the event cannot be handed over: a warning, and the run file is kept for a retry", async () => {
    const s = setup({ failEmit: true });
    const r = await jobStart({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    expect(r.reported).toBe(false);
    const end = await jobOk({ name: "nightly", stateDir: s.stateDir, emit: s.emit, clock: s.clock, stderr: s.stderr });
    expect(end.reported).toBe(false);
    expect(end.runId).toBe(r.runId);
    expect(existsSync(join(s.stateDir, "jobs", "nightly.run"))).toBe(true);
    expect(s.errText()).toContain("disk full");
  });

  it("an invalid name throws LASTSEEN_ERR_JOB_NAME", async () => {
    const s = setup();
    await expect(jobStart({ name: "../etc/passwd", stateDir: s.stateDir, emit: s.emit })).rejects.toMatchObject({ code: "LASTSEEN_ERR_JOB_NAME" });
    expect(existsSync(join(s.stateDir, "jobs"))).toBe(false);
  });
});

describe("jobCommand", () => {
  it("start prints the run id; ok ends it", async () => {
    const s = setup();
    const io = { emit: s.emit, clock: s.clock, stdout: s.stdout, stderr: s.stderr };
    expect(await jobCommand({ action: "start", name: "db-dump", stateDir: s.stateDir }, io)).toBe(0);
    const runId = s.outText().trim();
    expect(runId).toBe(s.events[0]!.runId);
    expect(await jobCommand({ action: "ok", name: "db-dump", stateDir: s.stateDir }, io)).toBe(0);
    expect(s.events[1]).toMatchObject({ runId, phase: "end", exitCode: 0 });
  });

  it("fail parses --exit-code strictly; usage errors exit 2", async () => {
    const s = setup();
    const io = { emit: s.emit, clock: s.clock, stdout: s.stdout, stderr: s.stderr };
    expect(await jobCommand({ action: "fail", name: "db-dump", stateDir: s.stateDir, exitCode: "4" }, io)).toBe(0);
    expect(s.events[0]).toMatchObject({ exitCode: 4 });
    expect(await jobCommand({ action: "fail", name: "db-dump", stateDir: s.stateDir, exitCode: "4x" }, io)).toBe(2);
    expect(s.errText()).toContain("LASTSEEN_ERR_JOB_USAGE");
    expect(await jobCommand({ action: "ok", name: "bad name", stateDir: s.stateDir }, io)).toBe(2);
    expect(s.errText()).toContain("LASTSEEN_ERR_JOB_NAME");
    expect(await jobCommand({ action: "run", name: "db-dump", command: [] }, io)).toBe(2);
    expect(s.events).toHaveLength(1);
  });

  it("run returns the command's exit code", async () => {
    const s = setup();
    const io = { emit: s.emit, clock: s.clock, stdout: s.stdout, stderr: s.stderr };
    expect(await jobCommand({ action: "run", name: "db-dump", command: ["sh", "-c", "exit 5"] }, io)).toBe(5);
    expect(s.events.map((e) => e.phase)).toEqual(["start", "end"]);
  });

  it("parseExitCode", () => {
    expect(parseExitCode("0")).toBe(0);
    expect(parseExitCode("-1")).toBe(-1);
    expect(parseExitCode(" 255 ")).toBe(255);
    for (const bad of ["", "1.0", "0x1", "1e2", "abc", "99999999999"]) expect(() => parseExitCode(bad)).toThrow(JobError);
  });
});
