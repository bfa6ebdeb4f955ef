// The collector's own restarts must not lie: no storm after a restart, no hidden outage, one
// summary after downtime. First as pure evaluations of silentVerdict(), then through the engine
// over one store, stopped (or killed) and started again under a fake clock.
import { afterEach, describe, expect, it } from "vitest";
import { silentVerdict } from "../../../collector/rules/host-status.js";
import { AlertLab, H, M, S } from "./lab.js";

const T = 90 * S;

describe("silentVerdict() after a collector restart", () => {
  const started = 10 * H;
  const judgeFrom = started + T;

  it("a host last seen long before the restart is held until it had one full timeout", () => {
    expect(silentVerdict({ lastSeen: started - H, timeoutMs: T, judgeFrom, firing: false }, started)).toEqual({ silent: true, held: true, nextCheckAt: judgeFrom });
    expect(silentVerdict({ lastSeen: started - H, timeoutMs: T, judgeFrom, firing: false }, judgeFrom - 1)).toEqual({ silent: true, held: true, nextCheckAt: judgeFrom });
    expect(silentVerdict({ lastSeen: started - H, timeoutMs: T, judgeFrom, firing: false }, judgeFrom)).toEqual({ silent: true, held: false, nextCheckAt: null });
  });

  it("a host that reconnects within the grace is simply up", () => {
    expect(silentVerdict({ lastSeen: started + 5 * S, timeoutMs: T, judgeFrom, firing: false }, started + 10 * S)).toEqual({ silent: false, held: false, nextCheckAt: started + 5 * S + T });
  });

  it("a host already alerted before the restart stays alerted: judged at once, not held", () => {
    expect(silentVerdict({ lastSeen: started - H, timeoutMs: T, judgeFrom, firing: true }, started)).toEqual({ silent: true, held: false, nextCheckAt: null });
  });

  it("a host that died during the downtime is judged silent exactly when the grace ends", () => {
    const died = started - 5 * M;
    expect(silentVerdict({ lastSeen: died, timeoutMs: T, judgeFrom, firing: false }, started).held).toBe(true);
    expect(silentVerdict({ lastSeen: died, timeoutMs: T, judgeFrom, firing: false }, judgeFrom)).toEqual({ silent: true, held: false, nextCheckAt: null });
  });

  it("a host never seen is never judged", () => {
    expect(silentVerdict({ lastSeen: null, timeoutMs: T, judgeFrom, firing: false }, judgeFrom + H)).toEqual({ silent: false, held: true, nextCheckAt: null });
  });
});

describe("the engine across collector restarts", () => {
  let lab: AlertLab;
  afterEach(() => lab.close());

  const newLab = () => (lab = new AlertLab({ config: { alerts: { silent_after: "90s", collector_down_after: "1m", alive_interval: "10s" } } }));

  it("restarted while every host is fine, hosts reconnect within the grace: no alert, no summary", () => {
    newLab();
    const hosts = ["a", "b", "c"].map((n) => lab.host(n));
    lab.advanceAlive(10 * M, 30 * S, ...hosts);
    lab.stopEngine();
    lab.advance(30 * S); // a quick restart, shorter than collector_down_after
    lab.startEngine();
    lab.advance(20 * S); // the agents reconnect after their backoff
    lab.advanceAlive(H, 30 * S, ...hosts);
    expect(lab.summary()).toEqual([]);
  });

  it("down for an hour while every host kept running: no DOWN storm, one summary saying all are back", () => {
    newLab();
    const hosts = ["a", "b", "c"].map((n) => lab.host(n));
    lab.advanceAlive(10 * M, 30 * S, ...hosts);
    lab.stopEngine();
    lab.advance(H); // the agents keep trying; nothing reaches the store
    lab.startEngine();
    lab.advance(20 * S);
    for (const h of hosts) lab.seen(h); // they reconnect and replay
    lab.advanceAlive(H, 30 * S, ...hosts);
    expect(lab.summary()).toEqual(["collector.down summary"]);
    expect(lab.flips()[0]!.subject).toBe("collector was down 10:10-11:10; all hosts are back");
  });

  it("restarted while one host was already down: it stays alerted, no second DOWN; its return is one UP", () => {
    newLab();
    const up = lab.host("up");
    const down = lab.host("down");
    lab.advanceAlive(T, 10 * S, up);
    expect(lab.summary()).toEqual(["host.silent firing down"]);
    lab.stopEngine();
    lab.advance(10 * S);
    lab.startEngine();
    lab.advanceAlive(3 * H, 30 * S, up);
    expect(lab.summary()).toEqual(["host.silent firing down"]);
    expect(lab.store.alerts.get(down, "host.silent")).toMatchObject({ status: "firing", notified: true });
    lab.seen(down);
    lab.settle();
    expect(lab.summary()).toEqual(["host.silent firing down", "host.silent resolved down"]);
    expect(lab.flips()[1]!.incidentId).toBe(lab.flips()[0]!.incidentId);
  });

  it("a host dying during the downtime fires exactly once, one full timeout after the start; one summary names it", () => {
    newLab();
    const stays = lab.host("stays");
    const dies = lab.host("dies");
    lab.advanceAlive(5 * M, 30 * S, stays, dies);
    lab.crashEngine(); // SIGKILL: the alive mark is up to alive_interval old
    const killedAt = lab.now;
    expect(lab.store.hosts.getById(dies)!.lastSeen).toBe(killedAt);
    lab.advance(32 * M);
    const startedAt = lab.now;
    lab.startEngine();
    lab.advance(10 * S);
    lab.seen(stays);
    lab.settle();
    lab.advanceAlive(T - 10 * S - 1, 5 * S, stays);
    expect(lab.summary()).toEqual([]);
    lab.advanceAlive(1, 1, stays);
    // Both fall due at the end of the grace.
    expect(lab.summary().sort()).toEqual(["collector.down summary", "host.silent firing dies"]);
    expect(lab.flips({ rule: "host.silent" })[0]!.at).toBe(startedAt + T);
    const summary = lab.flips({ kind: "summary" })[0]!;
    expect(summary.subject).toMatch(/^collector was down 10:0\d-10:37; 1 host not back yet$/);
    expect(summary.text).toContain("not back yet: dies");
    lab.advanceAlive(24 * H - 2 * M, 30 * S, stays);
    expect(lab.flips({ rule: "host.silent", kind: "firing" })).toHaveLength(1);
    expect(lab.flips({ kind: "summary" })).toHaveLength(1);
  });

  it("a host that dies during the downtime and returns within the grace is never alerted", () => {
    newLab();
    const h = lab.host("flaky");
    lab.advanceAlive(5 * M, 30 * S, h);
    lab.stopEngine();
    lab.advance(20 * M);
    lab.startEngine();
    lab.advance(T - 1);
    lab.seen(h);
    lab.advanceAlive(H, 30 * S, h);
    expect(lab.summary()).toEqual(["collector.down summary"]);
  });

  it("the summary survives another restart before it is sent, and is sent once", () => {
    newLab();
    const h = lab.host("gone");
    lab.advanceAlive(5 * M, 30 * S, h);
    lab.stopEngine();
    lab.advance(H);
    lab.startEngine();
    lab.advance(30 * S); // before the summary is due
    lab.stopEngine();
    lab.advance(20 * S); // shorter than collector_down_after: no new downtime
    lab.startEngine();
    lab.advance(3 * H);
    lab.stopEngine();
    lab.advance(30 * S);
    lab.startEngine();
    lab.advance(H);
    expect(lab.summary().sort()).toEqual(["collector.down summary", "host.silent firing gone"]);
    expect(lab.flips({ kind: "summary" })[0]!.subject).toBe("collector was down 10:05-11:05; 1 host not back yet");
  });
});
