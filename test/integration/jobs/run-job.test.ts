// runJob with real commands, in this process: exit codes, signals, output tail, spawn failures and
// reporting failures that must never stop the job.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { runJob } from "../../../agent/jobs/run.js";
import type { RunJobOptions } from "../../../agent/jobs/run.js";
import type { AgentBody, JobEvent } from "../../../proto/types.js";

const dir = mkdtempSync(join(tmpdir(), "lastseen-jobs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Captured { code: number; events: JobEvent[]; stdout: string; stderr: string; emits: number }

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

async function run(command: string, args: string[], over: Partial<RunJobOptions> = {}): Promise<Captured> {
  const events: JobEvent[] = [];
  let emits = 0;
  const out = sink();
  const err = sink();
  const code = await runJob({
    name: "backup", command, args, stdout: out.stream, stderr: err.stream,
    emit: async (body: AgentBody) => {
      emits++;
      if (body.kind !== "jobEvent") throw new Error(`unexpected body ${body.kind}`);
      events.push(body.value);
    },
    ...over,
  });
  return { code, events, stdout: out.text(), stderr: err.text(), emits };
}

function expectPair(events: JobEvent[]): [JobEvent, JobEvent] {
  expect(events).toHaveLength(2);
  const [start, end] = events as [JobEvent, JobEvent];
  expect(start.phase).toBe("start");
  expect(end.phase).toBe("end");
  expect(end.runId).toBe(start.runId);
  expect(start.runId).toMatch(/^[0-9a-f-]{36}$/);
  expect(end.startedAtMs).toBe(start.startedAtMs);
  expect(end.endedAtMs).toBeGreaterThanOrEqual(start.startedAtMs);
  expect(start.pid).toBe(process.pid);
  expect(start.job).toBe("backup");
  return [start, end];
}

describe("runJob with real commands", () => {
  it("true: exit 0, start and end with one run id", async () => {
    const r = await run("true", []);
    expect(r.code).toBe(0);
    const [, end] = expectPair(r.events);
    expect(end).toMatchObject({ exitCode: 0, signal: "", message: "" });
  });

  it("false: exit 1, reported", async () => {
    const r = await run("false", []);
    expect(r.code).toBe(1);
    expect(expectPair(r.events)[1].exitCode).toBe(1);
  });

  it("passes through any exit code", async () => {
    const r = await run("sh", ["-c", "exit 42"]);
    expect(r.code).toBe(42);
    expect(expectPair(r.events)[1].exitCode).toBe(42);
  });

  it("sleep: the end comes after the command finished", async () => {
    const r = await run("sleep", ["0.3"]);
    expect(r.code).toBe(0);
    const [start, end] = expectPair(r.events);
    expect(end.endedAtMs - start.startedAtMs).toBeGreaterThanOrEqual(300);
  });

  it("uses the injected clock", async () => {
    let t = 1_000_000;
    const r = await run("true", [], { clock: () => (t += 500) });
    const [start, end] = expectPair(r.events);
    expect(start.startedAtMs).toBe(1_000_500);
    expect(end.endedAtMs).toBe(1_001_000);
  });

  it("a child killed by a signal: exitCode null, signal name, returns 128+9", async () => {
    const r = await run("sh", ["-c", "echo before; kill -KILL $$"]);
    expect(r.code).toBe(137);
    const [, end] = expectPair(r.events);
    expect(end.exitCode).toBeNull();
    expect(end.signal).toBe("SIGKILL");
    expect(end.outputTail).toBe("before");
  });

  it("copies stdout and stderr and keeps the last 20 lines of both", async () => {
    const r = await run("sh", ["-c", "i=1; while [ $i -le 100 ]; do echo line $i; i=$((i+1)); done; echo oops >&2"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toHaveLength(101);
    expect(r.stdout.startsWith("line 1\nline 2\n")).toBe(true);
    expect(r.stderr).toContain("oops\n");
    const tail = expectPair(r.events)[1].outputTail.split("\n");
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe("line 82");
    expect(tail[19]).toBe("oops");
  });

  it("bounds the tail in bytes without splitting a character", async () => {
    // 3000 lines of 50 "ä" (2 bytes each), no newline at the end.
    const r = await run("sh", ["-c", "i=0; while [ $i -lt 3000 ]; do printf 'ääääääääääääääääääääääääääääääääääääääääääääääääää'; i=$((i+1)); done"], { tailBytes: 1001 });
    const tail = expectPair(r.events)[1].outputTail;
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(1001);
    expect(Buffer.byteLength(tail)).toBeGreaterThanOrEqual(999);
    expect(tail).toMatch(/^ä+$/);
  });

  it("a command that does not exist: 127, reported as an end with a message", async () => {
    const r = await run("lastseen-test-no-such-command", ["x"]);
    expect(r.code).toBe(127);
    const [, end] = expectPair(r.events);
    expect(end.exitCode).toBe(127);
    expect(end.message).toContain("command not found");
    expect(end.message).toContain("lastseen-test-no-such-command");
    expect(r.stderr).toContain("command not found");
  });

  it("a file that is not executable: 126", async () => {
    const file = join(dir, "not-executable.sh");
    writeFileSync(file, "#!/bin/sh\necho hi\n");
    chmodSync(file, 0o644);
    const r = await run(file, []);
    expect(r.code).toBe(126);
    const [, end] = expectPair(r.events);
    expect(end.exitCode).toBe(126);
    expect(end.message).toContain("permission denied");
  });

  it("does not use a shell: metacharacters reach the command as they are", async () => {
    const r = await run("echo", ["$HOME", "a;b", "*"]);
    expect(r.stdout).toBe("$HOME a;b *\n");
  });

  it("runs the command when reporting throws, and still tries the end", async () => {
    const marker = join(dir, "ran-despite-emit-failure");
    const r = await run("touch", [marker], { emit: async () => { throw new Error("spool full"); } });
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(r.stderr).toContain("could not report the start");
    expect(r.stderr).toContain("could not report the end");
    expect(r.stderr).toContain("spool full");
  });

  it("runs the command when reporting hangs (emit timeout)", async () => {
    const marker = join(dir, "ran-despite-emit-hang");
    let calls = 0;
    const r = await run("touch", [marker], { emitTimeoutMs: 200, emit: () => { calls++; return new Promise<void>(() => undefined); } });
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(calls).toBe(2);
    expect(r.stderr).toContain("took longer than 200 ms");
  });

  it("an invalid job name: the command still runs, nothing is reported", async () => {
    const marker = join(dir, "ran-with-bad-name");
    const r = await run("touch", [marker], { name: "bad name/with slash" });
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(r.emits).toBe(0);
    expect(r.stderr).toContain("NOT reported");
  });

  it("does not wait for a background process that keeps the output pipe open", async () => {
    const t0 = Date.now();
    const r = await run("sh", ["-c", "sleep 5 & echo started"], { drainTimeoutMs: 200 });
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(expectPair(r.events)[1].outputTail).toBe("started");
  });

  it("removes its signal listeners when done", async () => {
    const before = process.listenerCount("SIGTERM");
    await run("true", []);
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });
});
