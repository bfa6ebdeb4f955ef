// The JSON API the CLI (and scripts) use. Read routes need a read or admin token, write routes
// the admin token.
import { parseDuration } from "../../proto/duration.js";
import type { AlertEngine } from "../alerts/engine.js";
import type { Dispatcher } from "../alerts/dispatcher.js";
import type { Clock } from "../clock.js";
import { CollectorError } from "../errors.js";
import type { Notifier } from "../notify/notifier.js";
import { buildTestAlert, runNotifyTest } from "../notify/test-message.js";
import type { Queries } from "../queries/index.js";
import type { CollectorStats } from "../stats.js";
import type { Store } from "../store/store.js";
import type { Router } from "./router.js";

export interface ApiDeps {
  queries: Queries;
  store: Store;
  clock: Clock;
  engine: AlertEngine;
  dispatcher: Dispatcher;
  notifiers: readonly Notifier[];
  stats: CollectorStats;
}

function family(q: URLSearchParams): 4 | 6 | undefined {
  const f = q.get("family");
  if (f === null) return undefined;
  if (f === "4" || f === "6") return Number(f) as 4 | 6;
  throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", `family must be 4 or 6, not "${f}"`);
}

export function registerApi(router: Router, d: ApiDeps): void {
  const q = d.queries;
  router
    .add("GET", "/v1/hosts", "read", () => q.hosts())
    .add("GET", "/v1/hosts/:name", "read", ({ params }) => q.host(params.name!))
    .add("GET", "/v1/hosts/:name/ip", "read", ({ params, query }) => q.ip(params.name!, family(query)))
    .add("GET", "/v1/hosts/:name/ip/history", "read", ({ params, query }) => q.ipHistory(params.name!, family(query)))
    .add("GET", "/v1/jobs", "read", ({ query }) => q.jobs(query.get("host") ?? undefined))
    .add("GET", "/v1/alerts", "read", ({ query }) => q.alerts({ host: query.get("host") ?? undefined, limit: Number(query.get("limit") ?? 50) || 50 }))
    .add("GET", "/v1/silences", "read", () => q.alerts({ limit: 0 }).silences)
    .add("POST", "/v1/silences", "admin", async ({ body }) => addSilence(d, await body()))
    .add("DELETE", "/v1/silences/:id", "admin", ({ params }) => removeSilence(d, params.id!))
    .add("POST", "/v1/notify/test", "admin", async ({ body }) => {
      const b = (await body()) as { channel?: unknown };
      const channel = typeof b.channel === "string" ? b.channel : undefined;
      if (channel !== undefined && !d.notifiers.some((n) => n.name === channel)) {
        throw new CollectorError("LASTSEEN_ERR_NOT_FOUND", `no channel named "${channel}" (configured: ${d.notifiers.map((n) => n.name).join(", ") || "none"})`);
      }
      return runNotifyTest(d.notifiers, buildTestAlert({ now: new Date(d.clock.now()) }), channel);
    })
    // The collector's counters (auth failures, protocol errors, throttling, commits), admin only.
    .add("GET", "/v1/stats", "admin", () => ({ ...d.stats, protocolErrors: Object.fromEntries(d.stats.protocolErrors), deliveries: d.store.notifications.counts() }));
}

function addSilence(d: ApiDeps, raw: unknown): { id: number; host: string; until: string; reason: string } {
  const b = (raw ?? {}) as { host?: unknown; for?: unknown; reason?: unknown };
  if (typeof b.host !== "string") throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", "host is required");
  const ms = typeof b.for === "string" ? parseDuration(b.for) : null;
  if (ms === null || ms <= 0) throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", `--for must be a duration such as "2h", not ${JSON.stringify(b.for)}`);
  const host = d.store.hosts.require(b.host);
  const now = d.clock.now();
  const reason = typeof b.reason === "string" ? b.reason.slice(0, 500) : "";
  const id = d.store.silences.add(host.id, now, now + ms, reason, now);
  d.engine.hostChanged(host.id);
  return { id, host: host.name, until: new Date(now + ms).toISOString(), reason };
}

function removeSilence(d: ApiDeps, idText: string): { removed: number } {
  const id = Number(idText);
  const s = Number.isSafeInteger(id) ? d.store.silences.get(id) : null;
  if (!s || s.removedAt !== null) throw new CollectorError("LASTSEEN_ERR_NOT_FOUND", `no active silence with id ${idText} (see lastseen silence list)`);
  d.store.silences.remove(id, d.clock.now());
  d.engine.hostChanged(s.hostId);
  return { removed: id };
}
