// `lastseen alerts`, `lastseen silence ...`, `lastseen notify test`.
import type { AlertsView } from "../queries/index.js";
import { ApiClient, type ClientOptions } from "./api-client.js";
import { table } from "./table.js";

export async function alertsCommand(o: ClientOptions & { json?: boolean; host?: string; limit?: string }, out: NodeJS.WritableStream): Promise<number> {
  const params = new URLSearchParams();
  if (o.host) params.set("host", o.host);
  if (o.limit) params.set("limit", o.limit);
  const v = await ApiClient.resolve(o).get<AlertsView>(`/v1/alerts?${params}`);
  if (o.json) {
    out.write(JSON.stringify(v, null, 2) + "\n");
    return 0;
  }
  out.write(v.firing.length === 0 ? "nothing is firing\n" : `firing:\n${table(["HOST", "RULE", "KEY", "SINCE", "NOTIFIED"], v.firing.map((a) => [
    a.host, a.rule, a.key, a.since, a.silenced ? "silenced" : a.notified ? "yes" : "no",
  ]))}`);
  if (v.silences.length > 0) out.write(`\nsilences:\n${table(["ID", "HOST", "UNTIL", "REASON"], v.silences.map((s) => [s.id, s.host, s.until, s.reason]))}`);
  out.write(`\nrecent notifications (${v.deliveries.delivered} delivered, ${v.deliveries.pending + v.deliveries.sending} waiting, ${v.deliveries.failed} failed):\n`);
  out.write(table(["AT", "KIND", "SUBJECT", "CHANNELS"], v.flips.map((f) => [
    f.at, f.kind, f.subject,
    f.suppressed ? `not sent: ${f.suppressed}` : f.notifications.map((n) => `${n.channel}:${n.status}${n.status !== "delivered" && n.lastError ? ` (${n.attempts}x, ${n.lastError})` : ""}`).join(" "),
  ])));
  return 0;
}

export async function silenceAdd(host: string, o: ClientOptions & { for: string; reason?: string }, out: NodeJS.WritableStream): Promise<number> {
  const s = await ApiClient.resolve(o).post<{ id: number; host: string; until: string }>("/v1/silences", { host, for: o.for, reason: o.reason ?? "" });
  out.write(`silenced ${s.host} until ${s.until} (id ${s.id}; lastseen silence remove ${s.id} ends it)\n`);
  return 0;
}

export async function silenceList(o: ClientOptions & { json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const list = await ApiClient.resolve(o).get<AlertsView["silences"]>("/v1/silences");
  if (o.json) out.write(JSON.stringify(list, null, 2) + "\n");
  else out.write(list.length === 0 ? "no active silences\n" : table(["ID", "HOST", "UNTIL", "REASON"], list.map((s) => [s.id, s.host, s.until, s.reason])));
  return 0;
}

export async function silenceRemove(id: string, o: ClientOptions, out: NodeJS.WritableStream): Promise<number> {
  await ApiClient.resolve(o).delete(`/v1/silences/${encodeURIComponent(id)}`);
  out.write(`silence ${id} removed; the host's timers restart now\n`);
  return 0;
}

interface TestResult { channel: string; type: string; ok: boolean; id?: string; error?: { code: string; message: string }; ms: number }

export async function notifyTest(o: ClientOptions & { channel?: string; json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const results = await ApiClient.resolve(o).post<TestResult[]>("/v1/notify/test", { channel: o.channel });
  if (o.json) out.write(JSON.stringify(results, null, 2) + "\n");
  else if (results.length === 0) out.write("no notification channels are configured ([[notify.email]], [[notify.matrix]], ...)\n");
  else out.write(table(["CHANNEL", "TYPE", "RESULT", "TIME"], results.map((r) => [r.channel, r.type, r.ok ? `sent${r.id ? ` (${r.id})` : ""}` : `FAILED: ${r.error?.message}`, `${r.ms} ms`])));
  return results.every((r) => r.ok) ? 0 : 1;
}
