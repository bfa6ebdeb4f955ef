// Nothing accepted is lost, nothing is stored twice, when a whole container goes away (issue 7):
//   3. the collector container is stopped (and removed) while agents keep running jobs; a new one
//      on the same data volume receives every job result, none twice;
//   6. an agent container is killed with SIGKILL in the middle of a burst of 2,000 events; after
//      its restart every event the burst reported as accepted is stored exactly once.
// One lab: the collector and agent-1, agent-2 serve scenario 3; scenario 6 has an agent of its own
// (agent-3), so its counts are its own.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, e2eGate, exec, kill, state } from "../helpers/docker.js";
import { AGENT_STATE, Agent, Collector, eventually, saveArtifacts } from "./lib/fleet.js";

const gate = await e2eGate("durability");

/**
 * Spools `total` job events into the agent's state directory exactly as `lastseen-agent job` does
 * (16 at a time), appending each event id to `out` once spoolEvent resolved, i.e. once the event
 * was durably accepted. ESM, run with node --input-type=module -e in the agent container.
 */
const BURST = `
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { spoolEvent } from "/app/dist/agent/spool.js";
const [stateDir, out, total, job] = process.argv.slice(1);
let next = 0;
async function worker() {
  while (next < Number(total)) {
    const i = next++;
    const t = Date.now();
    const id = await spoolEvent(stateDir, { kind: "jobEvent", value: {
      job, runId: randomUUID(), phase: "end", startedAtMs: t - 1000, endedAtMs: t, exitCode: 0, signal: "",
      outputTail: "burst " + i, message: "", pid: process.pid } });
    appendFileSync(out, id + "\\n");
  }
}
await Promise.all(Array.from({ length: 16 }, worker));
console.log("burst done");
`;

describe.skipIf(!gate.run)("durability: collector stopped, agent killed mid-burst", () => {
  let lab: Lab;
  let collector: Collector;
  let dataVolume: string;
  const agents: Agent[] = [];
  let burstAgent: Agent | undefined;

  beforeAll(async () => {
    lab = await Lab.start("durability");
    dataVolume = await lab.volume("collector-data");
    collector = await Collector.start(lab, { volume: dataVolume });
    const tokens = await Promise.all(["agent-1", "agent-2"].map((h) => collector.tokenAdd(h)));
    agents.push(...(await Promise.all(["agent-1", "agent-2"].map((name, i) => Agent.start(lab, { name, token: tokens[i]! })))));
  }, 180_000);

  afterAll(async () => {
    if (lab) {
      await saveArtifacts("durability", {
        collector: () => collector.logs(),
        ...Object.fromEntries([...agents, ...(burstAgent ? [burstAgent] : [])].map((a) => [a.name, () => a.logs()])),
      });
    }
    await lab?.cleanup();
  });

  const runsOf = async (host: string, job: string): Promise<number | undefined> =>
    (await collector.jobs(host)).find((j) => j.job === job)?.runs;

  it("3. collector stopped while agents run jobs; restarted on the same volume: every job result arrives, none twice", async () => {
    const JOB = "nightly";
    const OUTAGE_RUNS = 4;
    // one run each while all is well
    await Promise.all(agents.map((a) => a.jobRun(JOB, ["sh", "-c", "echo before"])));
    for (const a of agents) {
      await eventually(`${a.name}: first run stored`, async () => ((await runsOf(a.name, JOB)) === 1 ? true : undefined), 15_000);
    }

    // a graceful stop (SIGTERM, up to 10 s), and the container is removed: only the volume stays
    await collector.container.stop({ timeout: 10_000, remove: true });

    await Promise.all(agents.map(async (a) => {
      for (let i = 1; i <= OUTAGE_RUNS; i++) {
        expect(await a.jobRun(JOB, ["sh", "-c", `echo outage ${i}`])).toBe(`outage ${i}\n`);
      }
    }));
    for (const a of agents) {
      const s = await a.status();
      expect(s.connected).toBe(false);
      expect(s.pending).toBeGreaterThanOrEqual(2 * OUTAGE_RUNS); // a start and an end per run, waiting on the agent's disk
    }

    // a new collector container on the same data volume (same name, so agents find it again)
    collector = await Collector.start(lab, { volume: dataVolume });
    await Promise.all(agents.map((a) => a.drained(60_000)));

    for (const a of agents) {
      expect(await runsOf(a.name, JOB)).toBe(1 + OUTAGE_RUNS);
      const stored = await collector.storedEventIds(a.name, "jobEvent");
      expect(stored.size).toBe(2 * (1 + OUTAGE_RUNS));
      expect([...stored.values()].every((n) => n === 1)).toBe(true);
      // and the job_runs table agrees: one row per run, each with its end
      const rows = await collector.sql<{ runs: number; ended: number }>(
        `SELECT count(*) AS runs, count(r.ended_at) AS ended FROM job_runs r JOIN hosts h ON h.id = r.host_id WHERE h.name = ? AND r.job = ?`,
        [a.name, JOB],
      );
      expect(rows[0]).toEqual({ runs: 1 + OUTAGE_RUNS, ended: 1 + OUTAGE_RUNS });
    }
  });

  it("6. an agent killed with SIGKILL mid-burst: after its restart every accepted event is stored exactly once", async () => {
    const TOTAL = 2000;
    const ACCEPTED_FILE = "/root/burst-accepted";
    const a = (burstAgent = await Agent.start(lab, { name: "agent-3", token: await collector.tokenAdd("agent-3") }));
    await a.drained(30_000);

    const burst = exec(a.container, ["node", "--input-type=module", "-e", BURST, AGENT_STATE, ACCEPTED_FILE, String(TOTAL), "burst"]);
    // SIGKILL half-way through the burst (a cheap poll: busybox wc, no node start)
    await eventually("half of the burst accepted", async () => {
      const r = await exec(a.container, ["sh", "-c", `cat ${ACCEPTED_FILE} 2>/dev/null | wc -l`]);
      return Number(r.stdout.trim()) >= TOTAL / 2 ? true : undefined;
    }, 30_000, 50);
    const killedAt = Date.now();
    await kill(a.container, "SIGKILL");
    const outcome = await burst.catch((err: Error) => ({ stdout: "", stderr: err.message, exitCode: -1 }));
    expect(outcome.stdout).not.toContain("burst done");
    expect((await state(a.container)).running).toBe(false);

    await a.container.restart();
    const accepted = (await exec(a.container, ["cat", ACCEPTED_FILE])).stdout.split("\n").filter((l) => l !== "");
    // the kill cut the burst short...
    expect(accepted.length).toBeGreaterThanOrEqual(TOTAL / 2);
    expect(accepted.length).toBeLessThan(TOTAL);
    await a.drained(60_000);
    await a.drained(60_000);

    const stored = await collector.storedEventIds("agent-3", "jobEvent");
    const missing = accepted.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    expect([...stored.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // stored beyond the accepted ones: events spooled but killed before they were reported
    expect(stored.size).toBeLessThanOrEqual(TOTAL);
    expect(await runsOf("agent-3", "burst")).toBe(stored.size);
    // ...while the agent was streaming: the collector had stored part of it before the kill
    const [before] = await collector.sql<{ n: number }>(
      `SELECT count(*) AS n FROM events e JOIN hosts h ON h.id = e.host_id WHERE h.name = ? AND e.kind = 'jobEvent' AND e.received_at < ?`,
      ["agent-3", killedAt],
    );
    expect(before!.n).toBeGreaterThan(0);
    expect(before!.n).toBeLessThan(stored.size);
    console.info(
      `[e2e durability] burst of ${TOTAL} events: SIGKILL with ${before!.n} stored; ${accepted.length} accepted by the burst, ` +
        `${stored.size} stored after the restart, ${missing.length} accepted ones missing`,
    );
  });
});
