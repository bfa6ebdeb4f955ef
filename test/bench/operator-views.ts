// What the operator views cost as the fleet grows: the status page ("/"), one host's page, and a
// /metrics scrape, against GET /v1/hosts (the JSON read model they are built from) as the
// baseline, on a collector process (`lastseen serve`) whose store holds N synthetic hosts, each
// with a hello, a public address, a finished job and a stale-library report. Prints a table of
// medians and ratios; asserts nothing about timing.
//
//   node dist/test/bench/operator-views.js [--hosts 100,1000] [--requests 20]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { dataFiles, ensureDataDir } from "../../collector/data-dir.js";
import { Store } from "../../collector/store/store.js";
import { parseArgs } from "./lib/args.js";
import { startCollectorProc } from "./lib/collector-proc.js";
import { median } from "./lib/stats.js";

const USAGE = "usage: node dist/test/bench/operator-views.js [--hosts 100,1000] [--requests 20]";

export function populate(dir: string, hosts: number): void {
  ensureDataDir(dir);
  const store = Store.open(dataFiles(dir).db);
  const now = Date.now();
  try {
    store.transaction(() => {
      for (let i = 0; i < hosts; i++) {
        const name = `host-${i}`;
        const id = store.hosts.ensure(name, now);
        store.hosts.applyHello(id, {
          agentVersion: "0.1.0", hostname: name, bootId: `boot-${i}`, heartbeatIntervalMs: 30_000, streamId: `s-${i}`, outboxDropped: 0,
          jobs: [], kernelRelease: "6.1.0-21-amd64", osPrettyName: "Debian GNU/Linux 12 (bookworm)",
        }, `198.51.${(i >> 8) & 255}.${i & 255}`, now);
        store.addresses.start(id, 4, `198.51.${(i >> 8) & 255}.${i & 255}`, ["peer", "stun"], "peer", now - 3_600_000);
        const runId = `run-${i}`;
        store.jobs.apply(id, { job: "backup", runId, phase: "start", startedAtMs: now - 120_000, endedAtMs: 0, exitCode: null, signal: "", outputTail: "", message: "", pid: 100 }, now);
        store.jobs.apply(id, { job: "backup", runId, phase: "end", startedAtMs: now - 120_000, endedAtMs: now - 60_000, exitCode: i % 10 === 0 ? 1 : 0, signal: "", outputTail: "done\n".repeat(5), message: "", pid: 100 }, now);
        store.findings.replace(id, {
          scannedAtMs: now, scannedProcesses: 150, skippedVanished: 0, skippedDenied: 0,
          kernel: { running: "6.1.0-18-amd64", runningVersion: "", installed: "6.1.0-21-amd64", rebootRequired: i % 3 === 0, reason: "newer kernel installed" },
          processes: [
            { pid: 1000 + i, name: "cron", unit: "cron.service", user: "root", deleted: ["/usr/lib/x86_64-linux-gnu/libc.so.6"], cmdline: "/usr/sbin/cron -f", startedAtMs: now - 86_400_000, container: "", restartKind: "unit", ppid: 1 },
            { pid: 2000 + i, name: "sshd", unit: "ssh.service", user: "root", deleted: ["/usr/lib/x86_64-linux-gnu/libcrypto.so.3"], cmdline: "sshd: /usr/sbin/sshd -D", startedAtMs: now - 86_400_000, container: "", restartKind: "unit", ppid: 1 },
          ],
        }, now);
      }
    });
  } finally {
    store.close();
  }
}

async function timeGet(url: string, requests: number): Promise<{ ms: number; bytes: number }> {
  const once = async () => {
    const t0 = process.hrtime.bigint();
    const res = await fetch(url);
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: body.byteLength };
  };
  for (let i = 0; i < 3; i++) await once(); // warm-up (JIT, prom-client's first load)
  const runs: { ms: number; bytes: number }[] = [];
  for (let i = 0; i < requests; i++) runs.push(await once());
  return { ms: median(runs.map((r) => r.ms)), bytes: runs[0]!.bytes };
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const o = parseArgs(argv, { hosts: "100,1000", requests: 20 }, USAGE);
  const sizes = o.hosts.split(",").map(Number);
  console.log("\noperator views: median of %d requests each, collector process, loopback", o.requests);
  console.log(`${"hosts".padStart(6)}  ${"view".padEnd(22)} ${"ms".padStart(9)} ${"KiB".padStart(9)}  ratio to GET /v1/hosts`);
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), "lastseen-bench-views-"));
    try {
      populate(dir, n);
      const collector = await startCollectorProc({ data: dir, logLevel: "warn" });
      try {
        const token = collector.adminToken;
        const api = async () => {
          const runs: number[] = [];
          for (let i = 0; i < o.requests + 3; i++) {
            const t0 = process.hrtime.bigint();
            const r = await fetch(`${collector.url}/v1/hosts`, { headers: { authorization: `Bearer ${token}` } });
            await r.arrayBuffer();
            if (i >= 3) runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          return median(runs);
        };
        const base = await api();
        const rows: [string, { ms: number; bytes: number }][] = [
          ["GET / (status page)", await timeGet(`${collector.url}/`, o.requests)],
          ["GET /hosts/host-1", await timeGet(`${collector.url}/hosts/host-1`, o.requests)],
          ["GET /metrics", await timeGet(`${collector.url}/metrics`, o.requests)],
        ];
        console.log(`${String(n).padStart(6)}  ${"GET /v1/hosts (JSON)".padEnd(22)} ${base.toFixed(1).padStart(9)} ${"".padStart(9)}  1.0x`);
        for (const [label, r] of rows) {
          console.log(`${String(n).padStart(6)}  ${label.padEnd(22)} ${r.ms.toFixed(1).padStart(9)} ${(r.bytes / 1024).toFixed(0).padStart(9)}  ${(r.ms / base).toFixed(1)}x`);
        }
      } finally {
        await collector.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
