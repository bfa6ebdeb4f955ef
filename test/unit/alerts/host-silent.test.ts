// The engine's host.silent check under a fake clock: it fires at the deadline from its one timer
// (no poll), resolves when the host is heard again, reminds while it lasts, respects silences
// (and restarts the host's timer when one ends) and inhibits the host's other checks.
import { afterEach, describe, expect, it } from "vitest";
import { AlertLab, H, M, S } from "./lab.js";

let lab: AlertLab;
afterEach(() => lab.close());

const TIMEOUT = 90 * S;

function newLab(alerts: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): AlertLab {
  lab = new AlertLab({ config: { alerts: { silent_after: "90s", ...alerts }, ...extra } });
  return lab;
}

describe("host.silent", () => {
  it("fires at the deadline from the engine's timer, once, with a notification per channel", () => {
    newLab();
    const h = lab.host("home");
    lab.settle();
    const seenAt = lab.now;
    lab.advance(TIMEOUT - 1);
    expect(lab.flips()).toEqual([]);
    lab.advance(1);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
    const [down] = lab.flips();
    expect(down!.at).toBe(seenAt + TIMEOUT);
    expect(down!.subject).toBe("DOWN home: silent since 2026-11-27 10:00:00 UTC");
    expect(down!.text).toContain("last seen: 2026-11-27 10:00:00 UTC");
    expect(down!.text).toContain("last known address: 203.0.113.7");
    expect(lab.store.notifications.forFlip(down!.id).map((n) => `${n.channel}:${n.status}`)).toEqual(["email:pending", "matrix:pending"]);
    expect(lab.kicks).toBeGreaterThan(0);
    // Nothing more while it stays silent (reminders are a day away by default).
    lab.advance(6 * H);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
    expect(h).toBeGreaterThan(0);
  });

  it("a host that keeps sending never fires; its deadline moves with it", () => {
    newLab();
    const h = lab.host("home");
    lab.advanceAlive(2 * H, 30 * S, h);
    expect(lab.flips()).toEqual([]);
    lab.advance(TIMEOUT);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
  });

  it("resolves as soon as the host is heard again, in the same incident, saying how long it was gone", () => {
    newLab();
    const h = lab.host("home");
    lab.advance(TIMEOUT + 5 * M);
    lab.store.hosts.applyHello(h, {
      agentVersion: "test", hostname: "home", bootId: "b2", heartbeatIntervalMs: 30 * S, streamId: "s-home",
      outboxDropped: 0, jobs: [], kernelRelease: "6.1.0", osPrettyName: "Debian",
    }, "198.51.100.9", lab.now);
    lab.seen(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home"]);
    const [down, up] = lab.flips();
    expect(up!.incidentId).toBe(down!.incidentId);
    expect(up!.subject).toBe("UP home: back after 6m30s, now at 198.51.100.9");
    expect(up!.text).toContain("(was 203.0.113.7)");
    expect(lab.store.notifications.forFlip(up!.id)).toHaveLength(2);
    // It is watched again from its new last-seen time.
    lab.advance(TIMEOUT);
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home", "host.silent firing home"]);
    expect(lab.flips()[2]!.incidentId).not.toBe(down!.incidentId);
  });

  it("reminds at the configured interval while the host stays silent, and stops when it returns", () => {
    newLab({ repeat_rules: { "host.silent": "1h" } });
    const h = lab.host("home");
    lab.advance(TIMEOUT);
    lab.advance(H - 1);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
    lab.advance(1);
    lab.advance(H);
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent reminder home", "host.silent reminder home"]);
    expect(lab.flips()[1]!.subject).toBe("DOWN home: still silent since 2026-11-27 10:00:00 UTC");
    lab.advance(30 * M);
    lab.seen(h);
    lab.settle();
    lab.advanceAlive(3 * H, 30 * S, h);
    expect(lab.summary().slice(3)).toEqual(["host.silent resolved home"]);
  });

  it("\"0s\" turns reminders off", () => {
    newLab({ repeat: "0s" });
    lab.host("home");
    lab.advance(10 * 24 * H);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
  });

  it("a per-host silent_after wins over [alerts]", () => {
    newLab({}, { hosts: [{ name: "slow", silent_after: "10m" }] });
    lab.host("slow");
    lab.host("fast");
    lab.advance(TIMEOUT);
    expect(lab.summary()).toEqual(["host.silent firing fast"]);
    lab.advance(10 * M - TIMEOUT);
    expect(lab.summary()).toEqual(["host.silent firing fast", "host.silent firing slow"]);
  });

  it("without [alerts] silent_after: 3 heartbeat intervals plus 30 s", () => {
    lab = new AlertLab();
    lab.host("home"); // Hello says 30 s heartbeats: timeout 2 min
    lab.advance(2 * M - 1);
    expect(lab.flips()).toEqual([]);
    lab.advance(1);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
  });
});

describe("silences", () => {
  it("a silenced host going silent is recorded but not notified; its return is not notified either", () => {
    newLab();
    const h = lab.host("home");
    lab.store.silences.add(h, lab.now, lab.now + 2 * H, "maintenance", lab.now);
    lab.changed(h);
    lab.advance(TIMEOUT);
    expect(lab.summary()).toEqual(["host.silent firing home (silenced)"]);
    expect(lab.store.notifications.forFlip(lab.flips()[0]!.id)).toEqual([]);
    lab.advance(30 * M);
    lab.seen(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home (silenced)", "host.silent resolved home (silenced)"]);
    expect(lab.store.notifications.counts()).toMatchObject({ pending: 0, delivered: 0 });
  });

  it("when a silence is removed, the host gets a full timeout before a DOWN", () => {
    newLab();
    const h = lab.host("home");
    const id = lab.store.silences.add(h, lab.now, lab.now + 2 * H, "maintenance", lab.now);
    lab.changed(h);
    lab.advance(30 * M);
    expect(lab.summary()).toEqual(["host.silent firing home (silenced)"]);
    lab.store.silences.remove(id, lab.now);
    lab.changed(h);
    lab.settle();
    lab.advance(TIMEOUT - 1);
    expect(lab.summary()).toEqual(["host.silent firing home (silenced)"]);
    lab.advance(1);
    expect(lab.summary()).toEqual(["host.silent firing home (silenced)", "host.silent firing home"]);
    const down = lab.flips()[1]!;
    expect(lab.store.notifications.forFlip(down.id)).toHaveLength(2);
    // The DOWN belongs to the incident that began in the silence, and its return resolves it.
    lab.seen(h);
    lab.settle();
    expect(lab.flips()[2]).toMatchObject({ kind: "resolved", incidentId: down.incidentId, suppressed: null });
  });

  it("when a silence runs out, the host also gets a full timeout; a return within it stays quiet", () => {
    newLab();
    const h = lab.host("home");
    lab.store.silences.add(h, lab.now, lab.now + H, "reboot", lab.now);
    lab.changed(h);
    lab.advance(H + TIMEOUT - 10 * S);
    lab.seen(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home (silenced)", "host.silent resolved home (not notified before)"]);
    expect(lab.store.notifications.counts().pending).toBe(0);
  });

  it("a host that was silent before its silence keeps its DOWN; its UP is still told", () => {
    newLab();
    const h = lab.host("home");
    lab.advance(TIMEOUT);
    lab.store.silences.add(h, lab.now, lab.now + H, "known", lab.now);
    lab.changed(h);
    lab.advance(10 * M);
    lab.seen(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home"]);
  });

  it("a silence of one host does not hold another", () => {
    newLab();
    const a = lab.host("a");
    lab.host("b");
    lab.store.silences.add(a, lab.now, lab.now + H, "", lab.now);
    lab.changed(a);
    lab.advance(TIMEOUT);
    expect(lab.summary().sort()).toEqual(["host.silent firing a (silenced)", "host.silent firing b"]);
  });
});

describe("inhibition", () => {
  const staleReport = (at: number) => ({
    scannedAtMs: at, skippedVanished: 0, skippedDenied: 0, scannedProcesses: 100, kernel: null,
    processes: [{ pid: 42, name: "cron", unit: "cron.service", user: "root", deleted: ["/usr/lib/libc.so.6"], cmdline: "/usr/sbin/cron", startedAtMs: at - H, container: "", restartKind: "service", ppid: 1 }],
  });

  it("while a host is silent its other checks wait; after it returns they are judged afresh", () => {
    newLab({ stale_after: "10m" }, { jobs: [{ host: "home", job: "backup", every: "24h" }] });
    const h = lab.host("home");
    lab.store.findings.replace(h, staleReport(lab.now), lab.now);
    lab.jobEnd(h, "backup", 0);
    lab.settle();
    lab.advance(TIMEOUT);
    expect(lab.summary()).toEqual(["host.silent firing home"]);
    // The stale delay passes and a failed job end arrives late (spooled) while it is silent: held.
    lab.advance(H);
    lab.store.jobs.apply(h, { job: "backup", runId: "r-late", phase: "end", startedAtMs: lab.now - 2 * M, endedAtMs: lab.now - M, exitCode: 3, signal: "", outputTail: "", message: "", pid: 1 }, lab.now);
    lab.changed(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home"]);
    lab.seen(h);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing home", "host.silent resolved home", "host.stale firing home", "job.failed firing home/backup"]);
    expect(lab.flips({ rule: "host.stale" })[0]!.subject).toBe("RESTART home: 1 to restart");
  });
});
