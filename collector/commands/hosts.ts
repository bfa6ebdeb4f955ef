// `lastseen hosts` and `lastseen host NAME`.
import type { HostDetail, HostView } from "../queries/index.js";
import { ApiClient, type ClientOptions } from "./api-client.js";
import { ago, table } from "./table.js";

export async function hostsCommand(o: ClientOptions & { json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const hosts = await ApiClient.resolve(o).get<HostView[]>("/v1/hosts");
  if (o.json) {
    out.write(JSON.stringify(hosts, null, 2) + "\n");
    return 0;
  }
  if (hosts.length === 0) {
    out.write("no hosts yet: add one with `lastseen token add NAME` and start its agent\n");
    return 0;
  }
  const now = Date.now();
  out.write(table(["HOST", "STATE", "LAST SEEN", "ADDRESS", "RESTART", "ALERTS"], hosts.map((h) => [
    h.name, h.silencedUntil && h.state !== "silenced" ? `${h.state} (silenced)` : h.state, ago(h.lastSeen, now), h.address,
    [h.staleProcesses ? `${h.staleProcesses} proc` : "", h.rebootRequired ? "reboot" : ""].filter(Boolean).join(", "),
    h.alerts.join(" "),
  ])));
  return 0;
}

export async function hostCommand(name: string, o: ClientOptions & { json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const h = await ApiClient.resolve(o).get<HostDetail>(`/v1/hosts/${encodeURIComponent(name)}`);
  if (o.json) {
    out.write(JSON.stringify(h, null, 2) + "\n");
    return 0;
  }
  const now = Date.now();
  const lines: [string, string][] = [
    ["host", h.name],
    ["state", h.state],
    ["last seen", h.lastSeen ? `${h.lastSeen} (${ago(h.lastSeen, now)})` : "never"],
    ["IPv4", h.addresses.v4 ?? "-"],
    ["IPv6", h.addresses.v6 ?? "-"],
    ["connected", h.connected ? "yes" : "no"],
    ["hostname", h.hostname ?? "-"],
    ["os", h.os ?? "-"],
    ["kernel", h.kernel ?? "-"],
    ["agent", h.agentVersion ?? "-"],
    ["timeout", `${Math.round(h.timeoutMs / 1000)}s`],
    ["outbox", `${h.outbox.pending} pending, ${h.outbox.dropped} dropped`],
    ["alerts", h.alerts.join(", ") || "none"],
    ...(h.silencedUntil ? [["silenced until", h.silencedUntil] as [string, string]] : []),
  ];
  if (h.scan) {
    const k = h.scan.kernel;
    lines.push(["last scan", `${h.scan.scannedAt}, ${h.scan.scannedProcesses} processes (${h.scan.skipped.vanished} vanished, ${h.scan.skipped.denied} denied)`]);
    lines.push(["reboot", k.rebootRequired ? `required: running ${k.running ?? "?"}, installed ${k.installed ?? "?"}${k.reason ? ` (${k.reason})` : ""}` : "not required"]);
  }
  const w = Math.max(...lines.map(([k]) => k.length));
  out.write(lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
  if (h.findings.length > 0) {
    out.write(`\nneeds a restart (${h.findings.length} process${h.findings.length === 1 ? "" : "es"} running deleted code):\n`);
    out.write(table(["PID", "PROCESS", "UNIT", "USER", "SINCE", "DELETED"], h.findings.map((f) => [
      f.pid, f.name, f.container ? `container ${f.container}` : f.unit, f.user, ago(f.firstSeen, now), f.deleted.join(" "),
    ])));
    for (const c of h.restartCommands) out.write(`  ${c}\n`);
  }
  if (h.jobs.length > 0) {
    out.write("\njobs:\n");
    out.write(table(["JOB", "STATE", "LAST RESULT", "LAST END", "NEXT DEADLINE"], h.jobs.map((j) => [
      j.job, j.state, j.lastResult, j.lastEnd ? ago(j.lastEnd, now) : null, j.nextDeadline,
    ])));
  }
  return 0;
}
