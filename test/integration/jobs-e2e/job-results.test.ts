// Jobs end to end with real processes: `lastseen-agent job run NAME --state DIR -- CMD` while the
// collector is down (the result arrives after it starts, once), `lastseen jobs --data DIR --json`
// in the issue's shape, and the job-failed and job-recovered mails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedEvents } from "../../helpers/db.js";
import { AGENT_CLI } from "../../helpers/procs.js";
import { AlertLab, header, mailsFor, runAsync, sleep, startPeers, waitFor, type Peers } from "../alerts/alert-lab.js";

interface JobJson {
  host: string;
  job: string;
  lastResult: "ok" | "failed" | "running" | null;
  exitCode: number | null;
  lastStart: string;
  lastEnd: string | null;
  durationMs: number | null;
  state: "ok" | "failed" | "missed" | "running" | "unknown";
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The issue's shape, key by key and type by type. */
function expectIssueShape(j: Record<string, unknown>): void {
  expect(typeof j.host).toBe("string");
  expect(typeof j.job).toBe("string");
  expect([null, "ok", "failed", "running"]).toContain(j.lastResult);
  expect(j.exitCode === null || Number.isInteger(j.exitCode)).toBe(true);
  expect(j.lastStart).toMatch(ISO);
  expect(j.lastEnd === null || ISO.test(String(j.lastEnd))).toBe(true);
  expect(j.durationMs === null || (Number.isInteger(j.durationMs) && (j.durationMs as number) >= 0)).toBe(true);
  expect(["ok", "failed", "missed", "running", "unknown"]).toContain(j.state);
}

describe("jobs end to end", () => {
  let peers: Peers;
  let lab: AlertLab;
  beforeAll(async () => {
    peers = await startPeers();
    lab = new AlertLab(peers, {
      channels: ["email"],
      alerts: { silent_after: "30s" },
      extraToml: `[[jobs]]\nhost = "home"\njob = "backup"\nevery = "24h"\n`,
    });
    await lab.start();
    lab.addHost("home");
    await lab.startAgent("home");
  });
  afterAll(async () => {
    await lab?.close();
    await peers?.close();
  });

  const state = () => lab.agents.get("home")!.state;
  const jobRun = (...cmd: string[]) => runAsync(AGENT_CLI, ["job", "run", "backup", "--state", state(), "--", ...cmd]);
  const jobs = () => lab.cliJson<JobJson[]>(["jobs"]);

  it("a job that ends while the collector is down: its result arrives after the collector starts, once", async () => {
    await lab.stop("SIGTERM");
    const r = await jobRun("sh", "-c", "echo saved 42 files; sleep 0.3; exit 0");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("saved 42 files\n");
    await sleep(500);
    await lab.start();
    const [j] = await waitFor("the job's result", async () => {
      const list = await jobs();
      return list.length === 1 && list[0]!.lastResult === "ok" ? list : null;
    }, 30_000, 300);
    expectIssueShape(j as unknown as Record<string, unknown>);
    expect(j).toMatchObject({ host: "home", job: "backup", lastResult: "ok", exitCode: 0, state: "ok" });
    expect(j!.durationMs).toBeGreaterThanOrEqual(300);
    expect(Date.parse(j!.lastEnd!) - Date.parse(j!.lastStart)).toBe(j!.durationMs);
    await sleep(2000);
    // Once: one start and one end stored, one run counted.
    expect(storedEvents(`${lab.data}/lastseen.db`, "home").rows).toBe(2);
    const [again] = await lab.cliJson<(JobJson & { runs: number })[]>(["jobs", "home"]);
    expect(again).toMatchObject({ runs: 1, lastStart: j!.lastStart, lastEnd: j!.lastEnd });
    expect(peers.smtp.mails).toEqual([]);
  }, 60_000);

  it("a failed run mails JOB ... failed; the next good run mails OK ... succeeded again, in the same thread", async () => {
    const r = await jobRun("sh", "-c", "echo disk full >&2; exit 3");
    expect(r.code).toBe(3);
    const failed = await waitFor("the job-failed mail", () => mailsFor(peers.smtp, "home", "firing")[0], 15_000);
    expect(failed.parsed.subject).toBe("JOB home/backup: failed");
    expect(header(failed, "x-lastseen-rule")).toBe("job.failed");
    expect(failed.parsed.text).toContain("exit code 3");
    expect(failed.parsed.text).toContain("disk full");
    expect(failed.parsed.text).toContain("schedule: every 1d, grace 1h");
    const [j] = await jobs();
    expect(j).toMatchObject({ lastResult: "failed", exitCode: 3, state: "failed" });
    expectIssueShape(j as unknown as Record<string, unknown>);

    expect((await jobRun("true")).code).toBe(0);
    const ok = await waitFor("the job-recovered mail", () => mailsFor(peers.smtp, "home", "resolved")[0], 15_000);
    expect(ok.parsed.subject).toBe("OK home/backup: succeeded again");
    expect(ok.parsed.inReplyTo).toBe(failed.parsed.messageId);
    expect((await jobs())[0]).toMatchObject({ lastResult: "ok", exitCode: 0, state: "ok" });
    await sleep(1500);
    expect(peers.smtp.mails.map((m) => m.parsed.subject)).toEqual(["JOB home/backup: failed", "OK home/backup: succeeded again"]);
  }, 60_000);

  it("with the agent stopped too, the result waits in DIR and arrives once both run again", async () => {
    await lab.killAgent("home", "SIGTERM");
    await lab.stop("SIGTERM");
    const r = await jobRun("sh", "-c", "exit 0");
    expect(r.code).toBe(0);
    const before = storedEvents(`${lab.data}/lastseen.db`, "home").rows;
    await lab.start();
    await lab.startAgent("home");
    await waitFor("the spooled result", () => storedEvents(`${lab.data}/lastseen.db`, "home").rows === before + 2, 20_000);
    await sleep(2000);
    expect(storedEvents(`${lab.data}/lastseen.db`, "home").rows).toBe(before + 2);
    const [j] = await lab.cliJson<(JobJson & { runs: number })[]>(["jobs"]);
    expect(j).toMatchObject({ lastResult: "ok", exitCode: 0, state: "ok", runs: 4 });
  }, 60_000);
});
