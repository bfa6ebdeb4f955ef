// `lastseen hosts` and `lastseen host NAME`.
import type { HostView } from "../queries.js";
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
  out.write(table(["HOST", "STATE", "LAST SEEN", "ADDRESS", "AGENT"], hosts.map((h) => [
    h.name, h.state, ago(h.lastSeen, now), h.address, h.agentVersion,
  ])));
  return 0;
}

export async function hostCommand(name: string, o: ClientOptions & { json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const h = await ApiClient.resolve(o).get<HostView>(`/v1/hosts/${encodeURIComponent(name)}`);
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
  ];
  const w = Math.max(...lines.map(([k]) => k.length));
  out.write(lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
  return 0;
}
