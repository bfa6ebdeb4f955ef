// Rate limiting: with a tiny limits.messages_per_second in the collector's config file, a burst
// from a real agent is throttled (the collector sends Throttle and stops reading), and nothing is
// lost: every event is stored exactly once.
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { storedEvents } from "../../helpers/db.js";
import { spoolJobEvents } from "../../helpers/events.js";
import { addToken, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";
import { connectRaw, logLines } from "./raw-peer.js";

describe("throttling", () => {
  const dir = tempDir();
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    dir.remove();
  });

  it("a burst above limits.messages_per_second is throttled, and every event is stored exactly once", async () => {
    const data = `${dir.path}/data`;
    const config = `${dir.path}/collector.toml`;
    writeFileSync(config, "[limits]\nmessages_per_second = 500\nmessage_burst = 50\n");
    const collector: CollectorProc = await startCollector(data, { args: ["--config", config] });
    procs.push(collector);
    const token = addToken(data, "bursty");
    const state = `${dir.path}/agent`;
    const agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("agent connected", () => agent.output().includes("connected to the collector"));

    const N = 2000;
    const ids = await spoolJobEvents(state, N);
    await waitFor("all events stored", () => storedEvents(`${data}/lastseen.db`, "bursty").rows >= N, 60_000, 100);
    await new Promise((r) => setTimeout(r, 1000));
    const stored = storedEvents(`${data}/lastseen.db`, "bursty");
    expect(stored.rows).toBe(N);
    expect(new Set(stored.eventIds)).toEqual(new Set(ids));

    // The collector throttled (and said so), the agent obeyed, nobody was disconnected.
    const throttles = logLines(collector.output()).filter((l) => l.msg.includes("throttling"));
    expect(throttles.length).toBeGreaterThan(0);
    expect(throttles.every((l) => typeof l.retryAfterMs === "number" && l.retryAfterMs >= 100)).toBe(true);
    expect(agent.output()).toContain("throttled by the collector");
    expect(agent.output()).not.toContain("disconnected from the collector");
  }, 120_000);

  it("a raw peer that ignores Throttle is held to the rate (not disconnected), and its events are all acknowledged", async () => {
    const data = `${dir.path}/data2`;
    const config = `${dir.path}/collector2.toml`;
    writeFileSync(config, "[limits]\nmessages_per_second = 100\nmessage_burst = 10\n");
    const collector = await startCollector(data, { args: ["--config", config] });
    procs.push(collector);
    const p = await connectRaw(collector.url, addToken(data, "firehose"));
    await p.hello({ streamId: "firehose" });
    const N = 300;
    const ids: string[] = [];
    for (let seq = 1; seq <= N; seq++) ids.push(p.event(seq));
    const t0 = Date.now();
    expect(await p.next("throttle")).toEqual({ retryAfterMs: expect.any(Number) });
    // Frames already on the wire are read; what comes after waits until the debt of about
    // 300 frames at 100/s is paid: the collector stops reading this connection meanwhile.
    expect(await p.next("ack", (a) => a.seq === N, 30_000)).toEqual({ seq: N });
    ids.push(p.event(N + 1));
    expect(await p.next("ack", (a) => a.seq === N + 1, 30_000)).toEqual({ seq: N + 1 });
    expect(Date.now() - t0).toBeGreaterThan(2000);
    expect(p.ws.readyState).toBe(p.ws.OPEN);
    const stored = storedEvents(`${data}/lastseen.db`, "firehose");
    expect(stored.rows).toBe(N + 1);
    expect(new Set(stored.eventIds)).toEqual(new Set(ids));
    p.close();
  }, 60_000);
});
