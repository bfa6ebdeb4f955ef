// Job rules through the engine under a fake clock: missed, failed and recovered; a cron job across
// the spring-forward change in Europe/Berlin; and a silent host with a missed job (one host alert,
// no job alert; after the host returns the job gets its next window).
import { afterEach, describe, expect, it } from "vitest";
import { AlertLab, H, M, S } from "./lab.js";

let lab: AlertLab;
afterEach(() => lab.close());

function newLab(jobs: Record<string, unknown>[], start?: string, silentAfter = "90s"): AlertLab {
  lab = new AlertLab({ start, config: { alerts: { silent_after: silentAfter }, jobs } });
  return lab;
}

describe("job rules in the engine", () => {
  it("missed: no run ended by the next expected run plus grace", () => {
    newLab([{ host: "home", job: "backup", every: "1h", grace: "10m" }]);
    const h = lab.host("home");
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    lab.advanceAlive(H + 10 * M - 30 * S, 30 * S, h);
    expect(lab.summary()).toEqual([]);
    lab.advanceAlive(30 * S, 30 * S, h);
    expect(lab.summary()).toEqual(["job.missed firing home/backup"]);
    const missed = lab.flips()[0]!;
    expect(missed.subject).toBe("JOB home/backup: did not run");
    expect(missed.text).toContain("no run ended by 2026-11-27T11:10:00.000Z");
    expect(missed.text).toContain("schedule: every 1h, grace 10m");
    expect(lab.store.notifications.forFlip(missed.id)).toHaveLength(2);
    // A run ends: resolved, in the same incident.
    lab.advanceAlive(5 * M, 30 * S, h);
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    expect(lab.summary()).toEqual(["job.missed firing home/backup", "job.missed resolved home/backup"]);
    expect(lab.flips()[1]!.incidentId).toBe(missed.incidentId);
    expect(lab.flips()[1]!.subject).toBe("OK home/backup: ran again");
  });

  it("failed, then recovered by the next successful run", () => {
    newLab([{ host: "home", job: "backup", every: "24h" }]);
    const h = lab.host("home");
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    lab.advanceAlive(H, 30 * S, h);
    lab.jobEnd(h, "backup", 2);
    lab.settle();
    expect(lab.summary()).toEqual(["job.failed firing home/backup"]);
    expect(lab.flips()[0]!.text).toContain("exit code 2");
    lab.advanceAlive(H, 30 * S, h);
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    expect(lab.summary()).toEqual(["job.failed firing home/backup", "job.failed resolved home/backup"]);
    expect(lab.flips()[1]!.subject).toBe("OK home/backup: succeeded again");
  });

  it("a job without an expectation is never alerted", () => {
    newLab([], undefined, "10m");
    const h = lab.host("home");
    lab.jobEnd(h, "adhoc", 1);
    lab.settle();
    lab.advanceAlive(3 * 24 * H, 5 * M, h);
    expect(lab.summary()).toEqual([]);
  });
});

describe("a daily cron job in Europe/Berlin across the spring-forward change (2026-03-29)", () => {
  const jobs = [{ host: "home", job: "backup", cron: "30 2 * * *", timezone: "Europe/Berlin", grace: "15m" }];
  const STEP = 5 * M;

  /** Walks from 2026-03-27 00:00Z to 2026-03-31 06:00Z; the job runs 10 minutes at each given UTC time. */
  function walk(runsAt: string[]): void {
    newLab(jobs, "2026-03-27T00:00:00Z", "10m");
    const h = lab.host("home");
    lab.settle();
    const runs = runsAt.map((iso) => Date.parse(iso));
    const end = Date.parse("2026-03-31T06:00:00Z");
    while (lab.now < end) {
      lab.advance(STEP);
      lab.seen(h);
      for (const r of runs) if (r + 10 * M === lab.now) lab.jobEnd(h, "backup", 0, 10 * M);
      lab.settle();
    }
  }

  const before = ["2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z"]; // 02:30 CET
  const after = ["2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]; // 02:30 CEST

  it("run at 03:00 CEST right after the jump (as cron does): never missed", () => {
    walk([...before, "2026-03-29T01:00:00Z", ...after]);
    expect(lab.summary()).toEqual([]);
  });

  it("run at 03:30 CEST (mktime() normalising 02:30): never missed", () => {
    walk([...before, "2026-03-29T01:30:00Z", ...after]);
    expect(lab.summary()).toEqual([]);
  });

  it("no run that night: missed once, resolved by the next night's run", () => {
    walk([...before, ...after]);
    expect(lab.summary()).toEqual(["job.missed firing home/backup", "job.missed resolved home/backup"]);
    expect(new Date(lab.flips()[0]!.at).toISOString()).toBe("2026-03-29T02:15:00.000Z"); // 03:00 CEST + 15m grace + 1h DST slack
  });
});

describe("the same job across the fall-back change (2026-10-25, 02:30 happens twice)", () => {
  const jobs = [{ host: "home", job: "backup", cron: "30 2 * * *", timezone: "Europe/Berlin", grace: "15m" }];

  function walk(runsAt: string[]): void {
    newLab(jobs, "2026-10-23T00:00:00Z", "10m");
    const h = lab.host("home");
    lab.settle();
    const runs = runsAt.map((iso) => Date.parse(iso));
    const end = Date.parse("2026-10-27T06:00:00Z");
    while (lab.now < end) {
      lab.advance(5 * M);
      lab.seen(h);
      for (const r of runs) if (r + 10 * M === lab.now) lab.jobEnd(h, "backup", 0, 10 * M);
      lab.settle();
    }
  }
  const before = ["2026-10-23T00:30:00Z", "2026-10-24T00:30:00Z"]; // 02:30 CEST
  const after = ["2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"]; // 02:30 CET

  it("run on the first pass of 02:30 (CEST): never missed", () => {
    walk([...before, "2026-10-25T00:30:00Z", ...after]);
    expect(lab.summary()).toEqual([]);
  });

  it("run on the second pass of 02:30 (CET): never missed", () => {
    walk([...before, "2026-10-25T01:30:00Z", ...after]);
    expect(lab.summary()).toEqual([]);
  });
});

describe("a silent host with a missed job", () => {
  it("one host alert and no job alert; after it returns, the job gets its next window", () => {
    newLab([{ host: "home", job: "backup", every: "1h", grace: "10m" }]);
    const h = lab.host("home");
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    lab.advanceAlive(20 * M, 30 * S, h);
    // The host goes quiet; the job's deadline (1h10m after its run) passes while it is silent.
    lab.advance(3 * H);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
    const back = lab.now;
    lab.seen(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home"]);
    // Its next window: the next expected run after the return, plus grace.
    lab.advanceAlive(H + 10 * M - 30 * S, 30 * S, h);
    expect(lab.summary()).toHaveLength(2);
    lab.advanceAlive(30 * S, 30 * S, h);
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home", "job.missed firing home/backup"]);
    expect(lab.flips()[2]!.at).toBe(back + H + 10 * M);
  });

  it("a run inside the new window keeps the job quiet", () => {
    newLab([{ host: "home", job: "backup", every: "1h", grace: "10m" }]);
    const h = lab.host("home");
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    lab.advance(3 * H);
    lab.seen(h);
    lab.settle();
    lab.advanceAlive(50 * M, 30 * S, h);
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    lab.advanceAlive(H, 30 * S, h);
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home"]);
  });
});
