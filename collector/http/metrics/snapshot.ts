// What one scrape reports, read once at scrape time from the read models and the counters (never
// kept a second time): every metric family of a scrape sees the same moment.
import type { ProxyProtocolCounters } from "../../ingest/proxy-protocol.js";
import type { AlertsView, HostView, JobView, Queries } from "../../queries/index.js";
import type { CollectorStats } from "../../stats.js";
import type { Store } from "../../store/store.js";
import type { StunResponderCounters } from "../../stun/responder.js";

export interface DeliveryCount {
  channel: string;
  status: string;
  count: number;
}

export interface MetricsSources {
  queries: Pick<Queries, "hosts" | "jobs" | "alerts">;
  store: Store;
  stats: CollectorStats;
  /** Counters of the built-in STUN responder, when it runs. */
  stun?: () => Readonly<StunResponderCounters>;
  /** Counters of the PROXY protocol listener, when configured. */
  proxyProtocol?: () => Readonly<ProxyProtocolCounters>;
}

export interface MetricsSnapshot {
  hosts: HostView[];
  jobs: JobView[];
  /** Last successful end per job, ms, keyed by jobKey(host, job). */
  lastSuccess: Map<string, number>;
  firing: AlertsView["firing"];
  deliveries: DeliveryCount[];
  stats: CollectorStats;
  stun: Readonly<StunResponderCounters> | null;
  proxyProtocol: Readonly<ProxyProtocolCounters> | null;
}

export const jobKey = (host: string, job: string): string => `${host}\u0000${job}`;

export function takeSnapshot(s: MetricsSources): MetricsSnapshot {
  const lastSuccess = new Map<string, number>();
  // The job read model has the last end and result, not the last *successful* end: the job
  // records keep it (lastOkEnd).
  for (const j of s.store.jobs.list()) if (j.lastOkEnd !== null) lastSuccess.set(jobKey(j.host, j.job), j.lastOkEnd);
  return {
    hosts: s.queries.hosts(),
    jobs: s.queries.jobs(),
    lastSuccess,
    firing: s.queries.alerts({ limit: 0 }).firing,
    deliveries: deliveriesByChannel(s.store),
    stats: s.stats,
    stun: s.stun?.() ?? null,
    proxyProtocol: s.proxyProtocol?.() ?? null,
  };
}

/** Notifications in the outbox by channel and status (NotificationRepo.counts() has status only). */
export function deliveriesByChannel(store: Store): DeliveryCount[] {
  return store.db.prepare<[], { channel: string; status: string; n: number }>(
    "SELECT channel, status, count(*) AS n FROM notifications GROUP BY channel, status ORDER BY channel, status",
  ).all().map((r) => ({ channel: r.channel, status: r.status, count: r.n }));
}
