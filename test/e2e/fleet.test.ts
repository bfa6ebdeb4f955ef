// A fleet on real containers: one collector, three agents and an SMTP server, each in its own
// container with its own hostname, pid namespace and address on the lab network (issue 7).
// Scenarios 1, 2, 4 and 5; each one acts on a different agent, so they share the lab and stay
// independent (alerts and mails are counted per host):
//   1. all three report; `lastseen hosts` shows them up, each at its own container address;
//   2. agent-2 frozen (docker pause): exactly one DOWN mail within the timeout + 2 s; thawed:
//      exactly one UP mail, in the DOWN's thread;
//   4. agent-3's network cut and restored: DOWN, UP, and the jobs run during the cut arrive;
//   5. a stale preloaded library in agent-1 is reported for agent-1 only, with its in-container pid.

import type { StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, e2eGate, exec, pause, unpause } from "../helpers/docker.js";
import { AGENT_STATE, Agent, Collector, eventually, saveArtifacts } from "./lib/fleet.js";
import { Mailbox } from "./lib/mailbox.js";
import type { Mail } from "./lib/mailbox.js";

const gate = await e2eGate("fleet");

/** [alerts] silent_after in test/e2e/fixtures/collector.toml. */
const SILENT_AFTER_MS = 5000;
const HOSTS = ["agent-1", "agent-2", "agent-3"] as const;

/**
 * Starts a process with a copy of one of node's own shared libraries preloaded, then replaces the
 * copy by rename, as dpkg does: the process keeps mapping the old, now deleted file. Prints the pid
 * (as seen in the container) and the library's path. Outside /tmp, which the scanner ignores.
 */
const STALE_LIBRARY = `
set -eu
lib=$(grep -o '/[^ ]*/libdl\\.so\\.2' /proc/1/maps | head -n 1)
[ -n "$lib" ] || lib=$(grep -o '/[^ ]*/libm\\.so\\.6' /proc/1/maps | head -n 1)
mkdir -p /opt
dir=$(mktemp -d /opt/e2e-stale.XXXXXX)
copy="$dir/$(basename "$lib")"
cp "$lib" "$copy"
LD_PRELOAD="$copy" node -e 'setInterval(() => {}, 1 << 30)' </dev/null >/dev/null 2>&1 &
pid=$!
i=0
until grep -q "$copy" /proc/$pid/maps 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "pid $pid never mapped $copy" >&2; exit 3; }
  sleep 0.05
done
cp "$copy" "$copy.dpkg-new"
mv "$copy.dpkg-new" "$copy"
echo "$pid $copy"
`;

describe.skipIf(!gate.run)("fleet: three agents, a collector and an SMTP server in containers", () => {
  let lab: Lab;
  let mailbox: Mailbox;
  let collector: Collector;
  const agents = new Map<string, Agent>();
  const agent = (name: string): Agent => agents.get(name)!;

  beforeAll(async () => {
    lab = await Lab.start("fleet");
    mailbox = await Mailbox.start(lab);
    collector = await Collector.start(lab, { config: "/app/test/e2e/fixtures/collector.toml", volume: await lab.volume("collector-data") });
    const tokens = await Promise.all(HOSTS.map((h) => collector.tokenAdd(h)));
    const started = await Promise.all(HOSTS.map((name, i) => Agent.start(lab, { name, token: tokens[i]! })));
    for (const a of started) agents.set(a.name, a);
  }, 180_000);

  afterAll(async () => {
    if (lab) {
      await saveArtifacts("fleet", {
        collector: () => collector.logs(),
        ...Object.fromEntries([...agents.values()].map((a) => [a.name, () => a.logs()])),
        mails: async () => JSON.stringify(await mailbox.all(), null, 2),
      });
    }
    await lab?.cleanup();
  });

  /** Every container's address, read from the engine, by short name. */
  const addressOf = async (c: StartedTestContainer): Promise<string> => {
    const ip = await lab.ip(c);
    if (!ip) throw new Error(`${c.getHostname()} has no address on ${lab.network}`);
    return ip;
  };

  it("1. all three agents report; `lastseen hosts` shows three hosts up, each at its own container address", async () => {
    const hosts = await eventually("three hosts up", async () => {
      const hs = await collector.hosts();
      return hs.length === 3 && hs.every((h) => h.state === "up" && h.connected) ? hs : undefined;
    }, 30_000);
    expect(hosts.map((h) => h.name).sort()).toEqual([...HOSTS]);
    for (const h of hosts) {
      // what the agent says about itself (hostname) and what the collector saw (address)
      expect(h.hostname).toBe(h.name);
      expect(h.address).toBe(await addressOf(agent(h.name).container));
    }
    expect(new Set(hosts.map((h) => h.address)).size).toBe(3);
    expect(hosts.map((h) => h.address)).not.toContain(await addressOf(collector.container));
  });

  it("5. a stale library in agent-1 is reported for agent-1 only, with the pid as seen inside its container", async () => {
    const made = await exec(agent("agent-1").container, ["sh", "-c", STALE_LIBRARY]);
    expect(made.stderr).toBe("");
    expect(made.exitCode).toBe(0);
    const [pidText, library] = made.stdout.trim().split(" ") as [string, string];
    const pid = Number(pidText);
    // the pid is the container's own view: in agent-1's namespace it is that node process
    const cmdline = await exec(agent("agent-1").container, ["cat", `/proc/${pid}/cmdline`]);
    expect(cmdline.stdout.split("\0").slice(0, 2)).toEqual(["node", "-e"]);

    // ask every agent to scan now (through its control socket) instead of waiting for the interval
    for (const name of HOSTS) {
      expect((await agent(name).cli(["trigger", "scan", "--state", AGENT_STATE])).trim()).toBe("stale-libs: done");
    }
    const detail = await eventually("agent-1's finding", async () => {
      const d = await collector.host("agent-1");
      return d.findings.some((f) => f.pid === pid) ? d : undefined;
    }, 20_000);
    expect(detail.findings).toHaveLength(1);
    expect(detail.findings[0]).toMatchObject({ pid, name: "node", container: null, deleted: [library] });

    const hosts = await collector.hosts();
    const stale = Object.fromEntries(hosts.map((h) => [h.name, h.staleProcesses]));
    expect(stale).toEqual({ "agent-1": 1, "agent-2": 0, "agent-3": 0 });
    for (const name of ["agent-2", "agent-3"]) {
      const d = await collector.host(name);
      expect(d.findings).toEqual([]);
      // their scans did run and arrive: the zero is a result, not an absence
      expect(d.scan?.scannedAt).toEqual(expect.any(String));
    }
  });

  it("2. agent-2 frozen: exactly one DOWN mail within the timeout + 2 s; thawed: exactly one UP mail, threaded", async () => {
    const c = agent("agent-2").container;
    expect(await mailbox.about("agent-2")).toEqual([]);
    await pause(c);
    const pausedAt = Date.now();

    const down = await eventually("DOWN mail for agent-2", async () => {
      const ms = await mailbox.about("agent-2");
      return ms.find((m) => m.kind === "firing");
    }, SILENT_AFTER_MS + 15_000, 100);
    const frozen = (await collector.hosts()).find((h) => h.name === "agent-2")!;
    expect(frozen.state).not.toBe("up");
    // the deadline proper: the last message the collector had from agent-2, plus the timeout
    const deadline = Date.parse(frozen.lastSeen) + SILENT_AFTER_MS;
    const latencyMs = down.receivedAtMs - (pausedAt + SILENT_AFTER_MS);
    console.info(
      `[e2e fleet] agent-2 paused: DOWN mail ${latencyMs} ms after pause + silent_after (${SILENT_AFTER_MS} ms), ` +
        `${down.receivedAtMs - deadline} ms after last seen + silent_after`,
    );
    expect(down.subject).toMatch(/^DOWN agent-2\b/);
    expect(latencyMs).toBeLessThanOrEqual(2000);
    expect(down.receivedAtMs).toBeGreaterThanOrEqual(deadline); // not before the host was silent for the timeout

    await unpause(c);
    const up = await eventually("UP mail for agent-2", async () => {
      const ms = await mailbox.about("agent-2");
      return ms.find((m) => m.kind === "resolved");
    }, 30_000, 100);
    expect(up.subject).toMatch(/^UP agent-2\b/);
    expect(up.inReplyTo).toBe(down.messageId);
    expect(up.references).toContain(down.messageId);

    await eventually("agent-2 up again", async () => {
      const h = (await collector.hosts()).find((x) => x.name === "agent-2");
      return h?.state === "up" && h.connected ? h : undefined;
    }, 15_000);
    // a settle time for a second DOWN or UP that should not come
    await new Promise((r) => setTimeout(r, 1500));
    const mails = await mailbox.about("agent-2");
    expect(mails.map((m: Mail) => m.kind)).toEqual(["firing", "resolved"]);
    expect(await mailbox.about("agent-1")).toEqual([]);
  });

  it("4. agent-3's network cut and restored: DOWN, UP, and the job events queued during the cut are delivered", async () => {
    const a = agent("agent-3");
    const jobsBefore = await collector.jobs("agent-3");
    expect(jobsBefore.find((j) => j.job === "cut-backup")).toBeUndefined();

    await lab.disconnect(a.container);
    expect(await lab.ip(a.container)).toBeUndefined();
    const down = await eventually("DOWN mail for agent-3", async () => {
      return (await mailbox.about("agent-3")).find((m) => m.kind === "firing");
    }, SILENT_AFTER_MS + 15_000, 100);
    expect(down.subject).toMatch(/^DOWN agent-3\b/);

    // jobs run while the host is cut off: their results wait in the agent's outbox
    const RUNS = 3;
    for (let i = 1; i <= RUNS; i++) expect(await a.jobRun("cut-backup", ["sh", "-c", `echo cut run ${i}`])).toBe(`cut run ${i}\n`);
    // the cut lasts until the agent itself gave up its connection (ping watchdog), so the
    // restore goes through a reconnect, the collector's replacement of the half-dead connection
    // and the replay of unacknowledged events, not through TCP retransmissions alone
    const queued = await eventually("agent-3 notices the cut", async () => {
      const st = await a.status();
      return st.connected ? undefined : st;
    }, 30_000, 500);
    expect(queued.pending).toBeGreaterThanOrEqual(2 * RUNS); // a start and an end per run
    expect((await collector.jobs("agent-3")).find((j) => j.job === "cut-backup")).toBeUndefined();

    await lab.connect(a.container);
    const up = await eventually("UP mail for agent-3", async () => {
      return (await mailbox.about("agent-3")).find((m) => m.kind === "resolved");
    }, 60_000, 250);
    expect(up.subject).toMatch(/^UP agent-3\b/);
    expect(up.inReplyTo).toBe(down.messageId);

    await a.drained(30_000);
    const job = (await collector.jobs("agent-3")).find((j) => j.job === "cut-backup");
    expect(job).toMatchObject({ runs: RUNS, lastResult: "ok" });
    const stored = await collector.storedEventIds("agent-3", "jobEvent");
    expect(stored.size).toBe(2 * RUNS);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);

    const h = (await collector.hosts()).find((x) => x.name === "agent-3");
    expect(h).toMatchObject({ state: "up", connected: true, address: await addressOf(a.container) });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await mailbox.about("agent-3")).map((m) => m.kind)).toEqual(["firing", "resolved"]);
  });

  it("no other mail: per incident one DOWN and one UP, nothing about agent-1 (its stale library waits for the 1 h delay)", async () => {
    const mails = await mailbox.all();
    expect(mails.filter((m) => m.rule !== "host.silent")).toEqual([]);
    for (const m of mails) expect(m.envelopeTo).toEqual(["owner@e2e.test"]);
    const byHost = new Map<string, string[]>();
    for (const m of mails) byHost.set(m.host ?? "", [...(byHost.get(m.host ?? "") ?? []), m.kind ?? ""]);
    expect(byHost.get("agent-1")).toBeUndefined();
    for (const [host, kinds] of byHost) expect({ host, kinds }).toEqual({ host, kinds: ["firing", "resolved"] });
  });
});
