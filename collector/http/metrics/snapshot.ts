// What one scrape reports, read once at scrape time from the read models and the counters (never
// kept a second time): every metric family of a scrape sees the same moment.
import type { ProxyProtocolCounters } from "../../ingest/proxy-protocol.js";
import type { AlertsView, HostView, JobView, Queries } from "../../queries/index.js";
import type { CollectorStats } from "../../stats.js";
import type { StunResponderCounters } from "../../stun/responder.js";

export interface DeliveryCount {
  channel: string;
  status: string;
  count: number;
}

export interface MetricsSources {
  queries: Pick<Queries, "hosts" | "jobs" | "alerts" | "deliveries">;
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
  const jobs = s.queries.jobs();
  const lastSuccess = new Map<string, number>();
  for (const j of jobs) if (j.lastSuccess !== null) lastSuccess.set(jobKey(j.host, j.job), Date.parse(j.lastSuccess));
  return {
    hosts: s.queries.hosts(),
    jobs,
    lastSuccess,
    firing: s.queries.alerts({ limit: 0 }).firing,
    deliveries: s.queries.deliveries(),
    stats: s.stats,
    stun: s.stun?.() ?? null,
    proxyProtocol: s.proxyProtocol?.() ?? null,
  };
}
