// The collector's own restarts on real processes: restarted while every host is fine (no alert),
// while one host is already down (still alerted, no second DOWN), and killed while a host dies
// (that host is alerted exactly once, after the grace; one downtime summary).
//
// The hosts that stay up (or come back) get a 20 s timeout ([[hosts]] override): after a collector
// outage of a few seconds, an agent's reconnect backoff (full jitter, doubling from 1 s: waits of
// up to 1, 2, 4, 8, 16 s) may well last longer than 3 s, and with a 3 s timeout that would be a
// true DOWN, not a lie. The host that dies during the downtime uses [alerts] silent_after = "3s".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertLab, header, mailsFor, sleep, startPeers, waitFor, type Peers } from "./alert-lab.js";

const STEADY_TIMEOUT = 20_000;
const SHORT = 3000;

describe("collector restarts", () => {
  let peers: Peers;
  let lab: AlertLab;
  beforeAll(async () => {
    peers = await startPeers();
    lab = new AlertLab(peers, {
      channels: ["email"],
      extraToml: ["steady1", "steady2", "gone"].map((n) => `[[hosts]]\nname = "${n}"\nsilent_after = "20s"\n`).join("\n"),
    });
    await lab.start();
    for (const h of ["steady1", "steady2", "gone", "dies"]) lab.addHost(h);
    await lab.startAgent("steady1");
    await lab.startAgent("steady2");
  });
  afterAll(async () => {
    await lab?.close();
    await peers?.close();
  });

  const reconnected = async (name: string, times: number) => waitFor(`${name} reconnected`, () =>
    lab.agents.get(name)!.proc!.output().split("connected to the collector").length - 1 >= times, 30_000);

  it("restarted while every host is fine: no alert at all", async () => {
    await sleep(1000);
    await lab.stop("SIGTERM");
    await lab.start();
    await reconnected("steady1", 2);
    await reconnected("steady2", 2);
    await sleep(STEADY_TIMEOUT + 2000);
    // No host alert. A restart that took longer than collector_down_after (2 s: node's start on a
    // busy machine can take that) is reported once, as downtime after which every host is back.
    const flips = (await lab.alerts()).flips;
    expect(flips.filter((f) => f.kind !== "summary")).toEqual([]);
    expect(peers.smtp.mails.filter((m) => header(m, "x-lastseen-kind") !== "summary")).toEqual([]);
    for (const m of peers.smtp.mails) expect(m.parsed.subject).toMatch(/^collector was down \d\d:\d\d-\d\d:\d\d; all hosts are back$/);
    expect(peers.smtp.mails.length).toBe(flips.length);
  }, 90_000);

  it("restarted while one host was already down: it stays alerted, no second DOWN; its return is one UP", async () => {
    await lab.startAgent("gone");
    await sleep(1000);
    await lab.killAgent("gone");
    await waitFor("DOWN gone", () => mailsFor(peers.smtp, "gone", "firing").length === 1, STEADY_TIMEOUT + 5000);
    await lab.stop("SIGTERM");
    await lab.start();
    await sleep(STEADY_TIMEOUT + 2000);
    expect(mailsFor(peers.smtp, "gone", "firing")).toHaveLength(1);
    const v = await lab.alerts();
    expect(v.firing).toEqual([expect.objectContaining({ host: "gone", rule: "host.silent", notified: true })]);
    expect(v.flips.filter((f) => f.kind === "firing").map((f) => f.host)).toEqual(["gone"]);
    await lab.startAgent("gone");
    const up = await waitFor("UP gone", () => mailsFor(peers.smtp, "gone", "resolved")[0], 10_000);
    expect(up.parsed.inReplyTo).toBe(mailsFor(peers.smtp, "gone", "firing")[0]!.parsed.messageId);
    expect(peers.smtp.mails.filter((m) => header(m, "x-lastseen-host").startsWith("steady"))).toEqual([]);
  }, 90_000);

  it("a host dying while the collector is down: DOWN exactly once after the grace; one downtime summary", async () => {
    await lab.startAgent("dies");
    await sleep(1000);
    const mailsBefore = peers.smtp.mails.length;
    await lab.stop("SIGKILL");
    await lab.killAgent("dies");
    await sleep(3000); // longer than collector_down_after = 2s
    const startedAt = Date.now();
    await lab.start();
    const down = await waitFor("DOWN dies", () => mailsFor(peers.smtp, "dies", "firing")[0], SHORT + 5000, 20);
    const summary = await waitFor("the downtime summary", () => peers.smtp.mails.slice(mailsBefore).find((m) => header(m, "x-lastseen-kind") === "summary"), STEADY_TIMEOUT + 5000, 20);
    expect(summary.parsed.subject).toMatch(/^collector was down \d\d:\d\d-\d\d:\d\d; 1 host not back yet$/);
    expect(summary.parsed.text).toContain("not back yet: dies");
    const flip = (await lab.alerts()).flips.find((f) => f.host === "dies" && f.kind === "firing")!;
    // Judged only after one full timeout from the collector's start.
    expect(Date.parse(flip.at)).toBeGreaterThanOrEqual(startedAt + SHORT);
    expect(down.parsed.subject).toMatch(/^DOWN dies: silent since /);
    await sleep(STEADY_TIMEOUT + 2000);
    const after = peers.smtp.mails.slice(mailsBefore).map((m) => `${header(m, "x-lastseen-kind")} ${header(m, "x-lastseen-host")}`.trim());
    expect(after.sort()).toEqual(["firing dies", "summary"]);
  }, 90_000);
});
