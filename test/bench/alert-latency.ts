// Benchmark: 1,000 hosts going silent at once. How long from each host's deadline until the SMTP
// server has its DOWN mail, and how many notifications each host gets per incident per channel.
//
//   npm run build && node dist/test/bench/alert-latency.js [--hosts 1000] [--timeout 5] [--channels email,matrix,webhook]
//
// One collector process (`lastseen serve --config`, a fresh data directory with one agent token
// per host) sends to a real SMTP server (smtp-server), the test Matrix homeserver and a webhook
// receiver, all in this process on loopback. This process also runs the simulated agents: real
// WebSockets speaking the agent's protocol (Hello, Welcome, a heartbeat every second at a random
// phase). All agents are stopped at the same instant; each host's deadline is its last-seen time
// (stored with its DOWN flip) plus its timeout. The SMTP server stamps each mail when its DATA
// ends; Matrix and webhook deliveries are timed by the collector's delivered_at. Then all agents
// come back and every host's UP is counted the same way. Nothing here asserts a timing.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import type { SMTPServerDataStream } from "smtp-server";
import { dataFiles } from "../../collector/data-dir.js";
import { openDb } from "../../collector/store/db.js";
import { startMatrixHomeserver, type MatrixHomeserver } from "../helpers/matrix-homeserver.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { parseArgs } from "./lib/args.js";
import { benchTempDir, runMain } from "./lib/children.js";
import { startCollectorProc, type CollectorProc } from "./lib/collector-proc.js";
import { inPool } from "./lib/pool.js";
import { keepProfile, printProfile } from "./lib/profile-report.js";
import { machineLine, readCpuSeconds } from "./lib/proc-stats.js";
import { encodeHeartbeat, SimAgent } from "./lib/sim-agent.js";
import { table } from "./lib/stats.js";
import { createAgentTokens, hostNames, type BenchHost } from "./lib/tokens.js";

const DEFAULTS = {
  hosts: 1000,
  timeout: 5,
  channels: "email,matrix,webhook",
  connectConcurrency: 50,
  collectorCpu: "none",
  logLevel: "warn",
  maxWait: 120,
  profile: false,
};

const USAGE = `usage: node dist/test/bench/alert-latency.js [options]
  --hosts N               simulated hosts (${DEFAULTS.hosts})
  --timeout S             [alerts] silent_after in seconds (${DEFAULTS.timeout})
  --channels LIST         channels to configure, from email,matrix,webhook (${DEFAULTS.channels})
  --connect-concurrency N connection attempts in flight (${DEFAULTS.connectConcurrency})
  --collector-cpu C       CPU the collector is pinned to, or "none" (${DEFAULTS.collectorCpu})
  --log-level LEVEL       the collector's log level (${DEFAULTS.logLevel})
  --max-wait S            how long to wait for all DOWNs (and again for all UPs) (${DEFAULTS.maxWait})
  --profile               run the collector under node --cpu-prof and summarise where its time went`;

const MATRIX_TOKEN = "syt_bench_token";
const BOT = "@lastseen:example.org";
const ROOM = "!bench:example.org";
const WEBHOOK_SECRET = "bench-webhook-secret";

interface Received {
  host: string;
  kind: string;
  at: number;
}

/** A real SMTP server that stamps each mail when its DATA ends and reads lastseen's headers. */
async function startTimedSmtp(): Promise<{ port: number; mails: Received[]; close(): Promise<void> }> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    onData(stream: SMTPServerDataStream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const at = Date.now();
        const raw = Buffer.concat(chunks).toString("utf8");
        const head = raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
        const h = (name: string) => new RegExp(`^${name}: *(.*)$`, "im").exec(head)?.[1]?.trim() ?? "";
        mails.push({ host: h("X-Lastseen-Host"), kind: h("X-Lastseen-Kind"), at });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function collectorToml(o: { timeoutS: number; channels: string[]; smtpPort: number; matrix?: MatrixHomeserver; webhook?: WebhookReceiver; dir: string }): string {
  writeFileSync(join(o.dir, "matrix-token"), MATRIX_TOKEN);
  writeFileSync(join(o.dir, "webhook-secret"), WEBHOOK_SECRET);
  const lines = [
    "[alerts]", `silent_after = "${o.timeoutS}s"`, `repeat = "0s"`, "",
    // The benchmark connects its agents as fast as it can: keep the per-connection limits out of the way.
  ];
  if (o.channels.includes("email")) {
    lines.push("[[notify.email]]", `smtp = "smtp://127.0.0.1:${o.smtpPort}"`, `from = "lastseen@example.org"`, `to = ["owner@example.org"]`, "");
  }
  if (o.matrix) lines.push("[[notify.matrix]]", `homeserver = "${o.matrix.url}"`, `access_token_file = "${join(o.dir, "matrix-token")}"`, `room = "${ROOM}"`, "");
  if (o.webhook) lines.push("[[notify.webhook]]", `url = "${o.webhook.url}"`, `secret_file = "${join(o.dir, "webhook-secret")}"`, "");
  return lines.join("\n");
}

/** Connects one simulated agent per host and starts its heartbeats at a random phase. */
async function connectAll(url: string, hosts: BenchHost[], concurrency: number): Promise<{ agents: SimAgent[]; timers: NodeJS.Timeout[]; welcomedAt: Map<string, number>; ms: number }> {
  const agents: SimAgent[] = new Array<SimAgent>(hosts.length);
  const timers: NodeJS.Timeout[] = [];
  const welcomedAt = new Map<string, number>();
  const frame = encodeHeartbeat();
  const t0 = Date.now();
  await inPool(hosts, concurrency, async (h, i) => {
    const a = new SimAgent({ url, name: h.name, token: h.token, heartbeatIntervalMs: 1000 });
    await a.connect();
    welcomedAt.set(h.name, Date.now());
    agents[i] = a;
    const phase = setTimeout(() => {
      a.sendHeartbeat(frame);
      timers.push(setInterval(() => a.sendHeartbeat(frame), 1000));
    }, Math.random() * 1000);
    timers.push(phase);
  });
  return { agents, timers, welcomedAt, ms: Date.now() - t0 };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}

const row = (label: string, xs: number[]): (string | number)[] => [label, xs.length, pct(xs, 50), pct(xs, 99), xs.length ? Math.max(...xs) : NaN];

async function waitUntil(what: string, done: () => boolean, maxMs: number, progress: () => string): Promise<boolean> {
  const t0 = Date.now();
  let lastPrint = 0;
  while (!done()) {
    if (Date.now() - t0 > maxMs) {
      console.log(`  gave up waiting for ${what} after ${maxMs / 1000} s: ${progress()}`);
      return false;
    }
    if (Date.now() - lastPrint > 5000) {
      lastPrint = Date.now();
      console.log(`  waiting for ${what}: ${progress()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

interface FlipRow { host: string; kind: string; at: number; facts: string; channel: string; delivered_at: number | null; status: string; attempts: number }

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2), DEFAULTS, USAGE);
  const channels = o.channels.split(",").map((c) => c.trim()).filter(Boolean);
  for (const c of channels) if (!["email", "matrix", "webhook"].includes(c)) throw new Error(`--channels: unknown channel "${c}"`);
  const collectorCpu = o.collectorCpu === "none" ? null : Number(o.collectorCpu);
  console.log(`alert latency benchmark: ${machineLine()}`);
  console.log(`  ${o.hosts} hosts, silent_after ${o.timeout}s, heartbeat 1 s, channels ${channels.join(", ")}, collector CPU ${o.collectorCpu}`);

  const dir = benchTempDir("lastseen-alert-bench-");
  const data = join(dir, "data");
  const hosts = createAgentTokens(data, hostNames("host", o.hosts));
  const smtp = await startTimedSmtp();
  const matrix = channels.includes("matrix") ? await startMatrixHomeserver({ users: { [MATRIX_TOKEN]: BOT }, rooms: [{ roomId: ROOM, members: [BOT] }] }) : undefined;
  const webhook = channels.includes("webhook") ? await startWebhookReceiver() : undefined;
  let collector: CollectorProc | null = null;
  try {
    const profileDir = join(dir, "profile");
    collector = await startCollectorProc({
      data, cpu: collectorCpu, logLevel: o.logLevel, nodeFlags: o.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
      toml: collectorToml({ timeoutS: o.timeout, channels, smtpPort: smtp.port, matrix, webhook, dir }),
    });

    // 1. Everybody connects and sends heartbeats.
    const up1 = await connectAll(collector.agentUrl, hosts, o.connectConcurrency);
    console.log(`  ${o.hosts} agents connected in ${(up1.ms / 1000).toFixed(1)} s; heartbeats for ${o.timeout + 2} s...`);
    await new Promise((r) => setTimeout(r, (o.timeout + 2) * 1000));
    if (smtp.mails.length > 0) console.log(`  warning: ${smtp.mails.length} mail(s) before the stop (hosts judged silent while connecting?)`);

    // 2. All stop at the same instant.
    for (const t of up1.timers) clearInterval(t);
    const stoppedAt = Date.now();
    const cpuAtStop = { collector: readCpuSeconds(collector.pid), bench: process.cpuUsage() };
    await Promise.all(up1.agents.map((a) => a.close()));
    const downs = () => smtp.mails.filter((m) => m.kind === "firing").length;
    const gotDowns = await waitUntil("every DOWN mail", () => !channels.includes("email") || downs() >= o.hosts, o.maxWait * 1000, () => `${downs()} of ${o.hosts}`);
    const downsDoneAt = Date.now();
    const benchCpu = process.cpuUsage(cpuAtStop.bench);
    const cpuDown = { collector: readCpuSeconds(collector.pid) - cpuAtStop.collector, bench: (benchCpu.user + benchCpu.system) / 1e6 };
    console.log(`  ${downs()} DOWN mails, the last ${((downsDoneAt - stoppedAt) / 1000).toFixed(1)} s after the stop; CPU used meanwhile: ` +
      `collector ${cpuDown.collector.toFixed(1)} s, this process (agents, SMTP, Matrix, webhook peers) ${cpuDown.bench.toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 3000)); // Matrix and webhook may finish a little later

    // 3. All come back.
    const up2 = await connectAll(collector.agentUrl, hosts, o.connectConcurrency);
    console.log(`  ${o.hosts} agents reconnected in ${(up2.ms / 1000).toFixed(1)} s`);
    const ups = () => smtp.mails.filter((m) => m.kind === "resolved").length;
    const gotUps = await waitUntil("every UP mail", () => !channels.includes("email") || ups() >= o.hosts, o.maxWait * 1000, () => `${ups()} of ${o.hosts}`);
    await new Promise((r) => setTimeout(r, 5000)); // duplicates, if any, would arrive now
    for (const t of up2.timers) clearInterval(t);
    await Promise.all(up2.agents.map((a) => a.close()));
    await collector.stop();
    collector = null;
    const profile = o.profile ? keepProfile(profileDir, "alert-latency") : null;

    // 4. What the collector stored, and what each peer received.
    const db = openDb(dataFiles(data).db, { readonly: true });
    let rows: FlipRow[];
    try {
      rows = db.prepare<[], FlipRow>(`SELECT h.name AS host, f.kind, f.at, f.facts, n.channel, n.delivered_at, n.status, n.attempts
          FROM flips f JOIN hosts h ON h.id = f.host_id LEFT JOIN notifications n ON n.flip_id = f.id WHERE f.rule = 'host.silent'`).all();
    } finally {
      db.close();
    }
    const deadline = new Map<string, number>();
    const flipAt = new Map<string, number>();
    const upFlipAt = new Map<string, number>();
    for (const r of rows) {
      if (r.kind === "firing" && !deadline.has(r.host)) {
        const f = JSON.parse(r.facts) as { last_seen: string; timeout_ms: string };
        deadline.set(r.host, Date.parse(f.last_seen) + Number(f.timeout_ms));
        flipAt.set(r.host, r.at);
      }
      if (r.kind === "resolved") upFlipAt.set(r.host, r.at);
    }
    const engineLag = [...deadline].map(([h, d]) => flipAt.get(h)! - d);
    const firstMail = new Map<string, number>();
    const firstUpMail = new Map<string, number>();
    for (const m of smtp.mails) {
      if (m.kind === "firing" && !firstMail.has(m.host)) firstMail.set(m.host, m.at);
      if (m.kind === "resolved" && !firstUpMail.has(m.host)) firstUpMail.set(m.host, m.at);
    }
    const emailLag = [...firstMail].filter(([h]) => deadline.has(h)).map(([h, at]) => at - deadline.get(h)!);
    const dispatchLag = [...firstMail].filter(([h]) => flipAt.has(h)).map(([h, at]) => at - flipAt.get(h)!);
    const deliveredLag = (channel: string) => rows.filter((r) => r.kind === "firing" && r.channel === channel && r.delivered_at !== null && deadline.has(r.host))
      .map((r) => r.delivered_at! - deadline.get(r.host)!);
    const upLag = [...firstUpMail].filter(([h]) => up2.welcomedAt.has(h)).map(([h, at]) => at - up2.welcomedAt.get(h)!);

    console.log("\nDOWN latency, ms (deadline = last seen + timeout)");
    const latencyRows = [row("deadline -> DOWN flip stored (engine)", engineLag)];
    if (channels.includes("email")) {
      latencyRows.push(row("DOWN flip stored -> SMTP server has the mail", dispatchLag));
      latencyRows.push(row("deadline -> SMTP server has the DOWN (goal: p99 < 2000)", emailLag));
    }
    for (const c of channels.filter((x) => x !== "email")) latencyRows.push(row(`deadline -> ${c} delivered (collector's clock)`, deliveredLag(c)));
    if (channels.includes("email")) latencyRows.push(row("agent welcomed back -> SMTP server has the UP", upLag));
    console.log(table(["", "hosts", "p50", "p99", "max"], latencyRows));

    console.log("\nnotifications per host per incident (goal: exactly one DOWN and one UP per channel)");
    const perHost = (items: { host: string; kind: string }[]) => {
      const m = new Map<string, { down: number; up: number }>();
      for (const h of hosts) m.set(h.name, { down: 0, up: 0 });
      for (const i of items) {
        const c = m.get(i.host);
        if (!c) continue;
        if (i.kind === "firing") c.down++;
        if (i.kind === "resolved") c.up++;
      }
      return [...m.values()];
    };
    const countRows: (string | number)[][] = [];
    const addCounts = (label: string, counts: { down: number; up: number }[]) => {
      countRows.push([label, Math.min(...counts.map((c) => c.down)), Math.max(...counts.map((c) => c.down)),
        Math.min(...counts.map((c) => c.up)), Math.max(...counts.map((c) => c.up)), counts.filter((c) => c.down === 1 && c.up === 1).length]);
    };
    addCounts("flips stored", perHost(rows.filter((r) => r.channel === null || r.channel === channels[0]).map((r) => ({ host: r.host, kind: r.kind }))));
    if (channels.includes("email")) addCounts("email (SMTP server)", perHost(smtp.mails));
    if (matrix) {
      addCounts("matrix (homeserver events)", perHost(matrix.events.map((e) => e.content["org.lastseen.alert"] as { host: string; kind: string })));
    }
    if (webhook) addCounts("webhook (requests)", perHost(webhook.requests.map((r) => r.json as { host: string; kind: string })));
    console.log(table(["channel", "DOWN min", "DOWN max", "UP min", "UP max", `hosts with 1 + 1 (of ${o.hosts})`], countRows));
    const attempts = rows.filter((r) => r.channel !== null && r.attempts > 1).length;
    const undelivered = rows.filter((r) => r.channel !== null && r.status !== "delivered").length;
    console.log(`\n  notifications retried: ${attempts}; not delivered: ${undelivered}${gotDowns && gotUps ? "" : " (the run gave up waiting: see above)"}`);
    if (channels.includes("email")) {
      const p99 = pct(emailLag, 99);
      console.log(`  deadline -> SMTP p99 ${Math.round(p99)} ms: ${p99 < 2000 ? "meets" : "misses"} the goal of 2000 ms`);
    }
    if (profile) printProfile(profile);
  } finally {
    await collector?.stop();
    await smtp.close();
    await matrix?.close();
    await webhook?.close();
  }
}

runMain(main);
