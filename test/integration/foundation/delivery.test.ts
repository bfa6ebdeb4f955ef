// Nothing is lost and nothing counts twice: 10,000 real job events stream from an agent while the
// collector, then the agent, are killed with SIGKILL and restarted.
import { afterEach, describe, expect, it } from "vitest";
import { storedEvents } from "../../helpers/db.js";
import { spoolJobEvents } from "../../helpers/events.js";
import { addToken, freePort, startAgent, startCollector, tempDir, waitFor, type Proc } from "../../helpers/procs.js";

const N = 10_000;
const procs: Proc[] = [];
const dirs: { remove(): void }[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill("SIGKILL");
  for (const d of dirs.splice(0)) d.remove();
});

function exactlyOnce(dbFile: string, host: string, expected: string[]): void {
  const { eventIds, rows } = storedEvents(dbFile, host);
  expect(rows).toBe(expected.length);
  expect(new Set(eventIds)).toEqual(new Set(expected));
}

describe("durable delivery", () => {
  it("kill -9 of the collector mid-stream: every event is stored exactly once", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const data = `${dir.path}/data`;
    const port = await freePort();
    let collector = await startCollector(data, { port });
    procs.push(collector);
    const token = addToken(data, "home");
    const state = `${dir.path}/agent`;
    const agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("agent connected", () => agent.output().includes("connected to the collector"));

    const ids = await spoolJobEvents(state, N);
    // Kill the collector once part of the stream is stored, while the rest is in flight.
    await waitFor("some events stored", () => storedEvents(`${data}/lastseen.db`, "home").rows >= 1000, 60_000, 10);
    await collector.kill("SIGKILL");
    const partial = storedEvents(`${data}/lastseen.db`, "home").rows;
    expect(partial).toBeLessThan(N);

    collector = await startCollector(data, { port });
    procs.push(collector);
    await waitFor("all events stored", () => storedEvents(`${data}/lastseen.db`, "home").rows >= N, 90_000, 100);
    // Give any duplicate a chance to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));
    exactlyOnce(`${data}/lastseen.db`, "home", ids);
  }, 180_000);

  it("kill -9 of the agent mid-stream: after its restart every event is stored exactly once", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const data = `${dir.path}/data`;
    const collector = await startCollector(data);
    procs.push(collector);
    const token = addToken(data, "home");
    const state = `${dir.path}/agent`;
    let agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("agent connected", () => agent.output().includes("connected to the collector"));

    const ids = await spoolJobEvents(state, N);
    await waitFor("some events stored", () => storedEvents(`${data}/lastseen.db`, "home").rows >= 1000, 60_000, 10);
    await agent.kill("SIGKILL");
    expect(storedEvents(`${data}/lastseen.db`, "home").rows).toBeLessThan(N);

    agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("all events stored", () => storedEvents(`${data}/lastseen.db`, "home").rows >= N, 90_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    exactlyOnce(`${data}/lastseen.db`, "home", ids);
  }, 180_000);
});
