// The wrapper as its own process (test/helpers/job-wrapper.ts runs runJob): signals sent to the
// wrapper reach the command, the wrapper exits with 128+N, stdin passes through.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AgentBody } from "../../../proto/types.js";
import { ROOT, transpileTree } from "./transpile.js";

let work: string;
let wrapper: string;

beforeAll(() => {
  work = mkdtempSync(join(ROOT, "test", "artifacts", "jobs-wrapper-"));
  wrapper = transpileTree("test/helpers/job-wrapper.ts", join(work, "build"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Each wrapper gets its own process group (signals in the tests go to the wrapper's pid only), so
// a failed test can stop the wrapper and the command it runs.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) {
    if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) {
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
    }
  }
});

interface Started { proc: ChildProcess; events: string; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

function startWrapper(name: string, cmd: string[]): Started {
  const events = join(work, `${name}-${Date.now()}.jsonl`);
  const proc = spawn(process.execPath, [wrapper, events, name, "--", ...cmd], { stdio: ["pipe", "pipe", "pipe"], detached: true });
  started.push(proc);
  let out = "";
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((res) => proc.on("close", (code) => res(code)));
  return { proc, events, stdout: () => out, stderr: () => err, exited };
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readEvents(file: string): AgentBody[] {
  return readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AgentBody);
}

// The command records the signals it gets, then dies of SIGTERM itself (default action restored).
const TRAPPER = (marks: string): string[] => ["sh", "-c",
  `trap 'echo USR1 >> ${marks}' USR1; trap 'echo TERM >> ${marks}; trap - TERM; kill -TERM $$' TERM; echo ready; while :; do sleep 0.05; done`];

describe("job wrapper process", () => {
  it("forwards SIGTERM to the command and exits 143", async () => {
    const marks = join(work, "term-marks");
    const w = startWrapper("sigterm", TRAPPER(marks));
    await until("the command to start", () => w.stdout().includes("ready"));
    w.proc.kill("SIGTERM");
    expect(await w.exited).toBe(143);
    expect(readFileSync(marks, "utf8")).toBe("TERM\n");
    const [startEvent, end] = readEvents(w.events);
    expect(startEvent).toMatchObject({ kind: "jobEvent", value: { phase: "start", job: "sigterm", pid: w.proc.pid } });
    expect(end).toMatchObject({ kind: "jobEvent", value: { phase: "end", exitCode: null, signal: "SIGTERM", outputTail: "ready" } });
  });

  it("forwards SIGUSR1 without starting Node's inspector, and SIGHUP", async () => {
    const marks = join(work, "usr1-marks");
    const w = startWrapper("sigusr1", ["sh", "-c",
      `trap 'echo USR1 >> ${marks}' USR1; trap 'echo HUP >> ${marks}; exit 7' HUP; echo ready; while :; do sleep 0.05; done`]);
    await until("the command to start", () => w.stdout().includes("ready"));
    w.proc.kill("SIGUSR1");
    await until("the command to see SIGUSR1", () => existsSync(marks));
    w.proc.kill("SIGHUP");
    expect(await w.exited).toBe(7);
    expect(readFileSync(marks, "utf8")).toBe("USR1\nHUP\n");
    expect(w.stderr()).not.toContain("Debugger listening");
    const end = readEvents(w.events)[1]!;
    expect(end).toMatchObject({ value: { phase: "end", exitCode: 7, signal: "" } });
  });

  it("passes stdin through to the command", async () => {
    const w = startWrapper("stdin", ["cat"]);
    w.proc.stdin!.end("from stdin\n");
    expect(await w.exited).toBe(0);
    expect(w.stdout()).toBe("from stdin\n");
    expect(readEvents(w.events)[1]).toMatchObject({ value: { exitCode: 0, outputTail: "from stdin" } });
  });

  it("a command that does not exist: exit 127 and an end event", async () => {
    const w = startWrapper("missing", ["lastseen-test-no-such-command"]);
    expect(await w.exited).toBe(127);
    expect(readEvents(w.events)[1]).toMatchObject({ value: { phase: "end", exitCode: 127 } });
  });
});
