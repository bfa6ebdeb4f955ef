// Rendered alerts as the lead's renderer produces them, for channel tests: a host-silent DOWN,
// its reminder and its UP, sharing one incident.
import type { Alert } from "../../collector/notify/notifier.js";

export interface HostSilentAlerts {
  readonly down: Alert;
  readonly reminder: Alert;
  readonly up: Alert;
}

export function hostSilentAlerts(opts: { host?: string; incidentId?: string; lastSeen?: Date; address?: string } = {}): HostSilentAlerts {
  const host = opts.host ?? "home";
  const incidentId = opts.incidentId ?? "inc-42";
  const lastSeen = opts.lastSeen ?? new Date("2026-11-27T02:10:00Z");
  const address = opts.address ?? "203.0.113.7";
  const seen = lastSeen.toISOString().replace(/\.\d+Z$/, "Z");
  const facts = { last_seen: seen, last_address: address, silent_for: "2m" };
  const common = { incidentId, host, rule: "host.silent", facts };
  return {
    down: {
      ...common,
      flipId: `${incidentId}-flip-1`,
      kind: "firing",
      subject: `DOWN ${host}: silent for 2m (last seen 02:10 UTC from ${address})`,
      text: `${host} has not been heard from for 2m.\nLast seen: ${seen}\nLast known address: ${address}\n`,
      html: `<p><b>${host}</b> has not been heard from for 2m.</p><p>Last seen: ${seen}<br>Last known address: ${address}</p>`,
      at: new Date(lastSeen.getTime() + 120_000),
    },
    reminder: {
      ...common,
      flipId: `${incidentId}-reminder-1`,
      kind: "reminder",
      subject: `STILL DOWN ${host}: silent for 1h (last seen 02:10 UTC from ${address})`,
      text: `${host} is still silent.\nLast seen: ${seen}\nLast known address: ${address}\n`,
      html: `<p><b>${host}</b> is still silent.</p>`,
      at: new Date(lastSeen.getTime() + 3_600_000),
    },
    up: {
      ...common,
      flipId: `${incidentId}-flip-2`,
      kind: "resolved",
      subject: `UP ${host}: back after 1h10m (now from ${address})`,
      text: `${host} is back after 1h10m.\nAddress: ${address}\n`,
      html: `<p><b>${host}</b> is back after 1h10m.</p>`,
      at: new Date(lastSeen.getTime() + 4_200_000),
    },
  };
}
