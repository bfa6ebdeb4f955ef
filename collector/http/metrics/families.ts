// Every metric family /metrics exposes, as data: name, help, type, label names, and how its
// samples follow from one scrape's snapshot. Counters come from the collector's own monotonic
// counters (CollectorStats, STUN, PROXY protocol) or from stored counts that only grow.
import { VERSION } from "../../../proto/version.js";
import { jobKey, type MetricsSnapshot } from "./snapshot.js";

export type Labels = Record<string, string>;
export type Sample = readonly [Labels, number];

export interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  labels: readonly string[];
  samples(s: MetricsSnapshot): Sample[];
  /** Registered only when this part runs (a label-less counter would otherwise read 0). */
  requires?: "stun" | "proxyProtocol";
}

const HOST_STATES = ["up", "late", "silent", "silenced", "never-seen"] as const;
const JOB_STATES = ["ok", "failed", "missed", "running", "unknown"] as const;
const seconds = (iso: string): number => Date.parse(iso) / 1000;

function perHost(name: string, help: string, value: (h: MetricsSnapshot["hosts"][number]) => number | null, type: Family["type"] = "gauge"): Family {
  return {
    name, help, type, labels: ["host"],
    samples: (s) => s.hosts.flatMap((h): Sample[] => {
      const v = value(h);
      return v === null ? [] : [[{ host: h.name }, v]];
    }),
  };
}

function perJob(name: string, help: string, value: (j: MetricsSnapshot["jobs"][number], s: MetricsSnapshot) => number | null): Family {
  return {
    name, help, type: "gauge", labels: ["host", "job"],
    samples: (s) => s.jobs.flatMap((j): Sample[] => {
      const v = value(j, s);
      return v === null ? [] : [[{ host: j.host, job: j.job }, v]];
    }),
  };
}

function counter(name: string, help: string, value: (s: MetricsSnapshot) => number | null): Family {
  return {
    name, help, type: "counter", labels: [],
    samples: (s) => {
      const v = value(s);
      return v === null ? [] : [[{}, v]];
    },
  };
}

export const FAMILIES: readonly Family[] = [
  { name: "lastseen_collector_info", help: "The collector's version (always 1).", type: "gauge", labels: ["version"], samples: () => [[{ version: VERSION }, 1]] },

  // Hosts
  perHost("lastseen_host_up", "1 when the host was heard from within its timeout, else 0.", (h) => (h.state === "up" ? 1 : 0)),
  {
    name: "lastseen_host_state", help: "The host's state: 1 for the current one of up, late, silent, silenced, never-seen.", type: "gauge", labels: ["host", "state"],
    samples: (s) => s.hosts.flatMap((h) => HOST_STATES.map((st): Sample => [{ host: h.name, state: st }, h.state === st ? 1 : 0])),
  },
  perHost("lastseen_host_connected", "1 while the host's agent holds a connection to this collector.", (h) => (h.connected ? 1 : 0)),
  perHost("lastseen_host_last_seen_timestamp_seconds", "When the host was last heard from (Unix time); absent for hosts never seen.", (h) => (h.lastSeen === null ? null : seconds(h.lastSeen))),
  perHost("lastseen_host_timeout_seconds", "How long the host may be silent before it counts as down.", (h) => h.timeoutMs / 1000),
  perHost("lastseen_host_stale_processes", "Processes on the host still running deleted libraries or executables.", (h) => h.staleProcesses),
  perHost("lastseen_host_reboot_required", "1 when the host runs an older kernel than the newest installed one.", (h) => (h.rebootRequired ? 1 : 0)),
  perHost("lastseen_host_alerts_firing", "Alerts firing for the host.", (h) => h.alerts.length),
  perHost("lastseen_host_silenced", "1 while a silence covers the host.", (h) => (h.silencedUntil ? 1 : 0)),
  perHost("lastseen_host_outbox_pending_events", "Events waiting in the agent's outbox, as last reported.", (h) => h.outbox.pending),
  perHost("lastseen_host_outbox_dropped_events", "Events the agent's full outbox dropped, as last reported.", (h) => h.outbox.dropped),
  perHost("lastseen_host_events_received_total", "Events stored for the host.", (h) => h.eventsReceived, "counter"),
  {
    name: "lastseen_host_address_info", help: "The host's current public address per family (always 1).", type: "gauge", labels: ["host", "family", "address"],
    samples: (s) => s.hosts.flatMap((h): Sample[] => [
      ...(h.addresses.v4 ? [[{ host: h.name, family: "4", address: h.addresses.v4 }, 1] as const] : []),
      ...(h.addresses.v6 ? [[{ host: h.name, family: "6", address: h.addresses.v6 }, 1] as const] : []),
    ]),
  },

  // Jobs
  perJob("lastseen_job_last_success_timestamp_seconds", "When the job last ended successfully (Unix time); absent before its first success.", (j, s) => {
    const ms = s.lastSuccess.get(jobKey(j.host, j.job));
    return ms === undefined ? null : ms / 1000;
  }),
  perJob("lastseen_job_last_end_timestamp_seconds", "When the job's last run ended (Unix time).", (j) => (j.lastEnd === null ? null : seconds(j.lastEnd))),
  perJob("lastseen_job_last_duration_seconds", "How long the job's last finished run took.", (j) => (j.durationMs === null ? null : j.durationMs / 1000)),
  perJob("lastseen_job_last_exit_code", "Exit code of the job's last finished run (absent when it ended by a signal).", (j) => j.exitCode),
  perJob("lastseen_job_next_deadline_timestamp_seconds", "When the job must next have succeeded (Unix time); absent without a schedule.", (j) => (j.nextDeadline === null ? null : seconds(j.nextDeadline))),
  {
    name: "lastseen_job_state", help: "The job's state: 1 for the current one of ok, failed, missed, running, unknown.", type: "gauge", labels: ["host", "job", "state"],
    samples: (s) => s.jobs.flatMap((j) => JOB_STATES.map((st): Sample => [{ host: j.host, job: j.job, state: st }, j.state === st ? 1 : 0])),
  },
  {
    name: "lastseen_job_runs_total", help: "Runs of the job reported.", type: "counter", labels: ["host", "job"],
    samples: (s) => s.jobs.map((j): Sample => [{ host: j.host, job: j.job }, j.runs]),
  },

  // Alerts and notifications
  {
    name: "lastseen_alert_firing", help: "1 for every alert firing now (host is empty for the collector's own).", type: "gauge", labels: ["host", "rule", "key", "silenced"],
    samples: (s) => s.firing.map((f): Sample => [{ host: f.host ?? "", rule: f.rule, key: f.key, silenced: f.silenced ? "true" : "false" }, 1]),
  },
  { name: "lastseen_alerts_firing", help: "Alerts firing now.", type: "gauge", labels: [], samples: (s) => [[{}, s.firing.length]] },
  {
    name: "lastseen_notifications", help: "Notifications in the outbox by channel and status (pending, sending, delivered, failed).", type: "gauge", labels: ["channel", "status"],
    samples: (s) => s.deliveries.map((d): Sample => [{ channel: d.channel, status: d.status }, d.count]),
  },

  // The collector's own counters
  counter("lastseen_agent_connections_opened_total", "Agent WebSocket connections accepted.", (s) => s.stats.connectionsOpened),
  counter("lastseen_agent_connections_closed_total", "Agent WebSocket connections closed.", (s) => s.stats.connectionsClosed),
  { name: "lastseen_agent_connections", help: "Agent WebSocket connections open now.", type: "gauge", labels: [], samples: (s) => [[{}, s.stats.connectionsOpened - s.stats.connectionsClosed]] },
  counter("lastseen_auth_failures_total", "Agent connections refused at the upgrade for a missing, unknown or revoked token.", (s) => s.stats.authFailures),
  counter("lastseen_frames_received_total", "WebSocket frames received from agents.", (s) => s.stats.framesReceived),
  counter("lastseen_frames_rejected_total", "Frames refused (malformed, too large, out of order, unknown kind).", (s) => s.stats.framesRejected),
  counter("lastseen_heartbeats_total", "Heartbeats received.", (s) => s.stats.heartbeats),
  counter("lastseen_ingest_events_stored_total", "Events committed to the store.", (s) => s.stats.eventsStored),
  counter("lastseen_ingest_events_duplicate_total", "Events dropped as duplicates (already stored).", (s) => s.stats.eventsDuplicate),
  counter("lastseen_ingest_events_rejected_total", "Events rejected as invalid.", (s) => s.stats.eventsRejected),
  counter("lastseen_commit_batches_total", "Store commits (each covers a batch of events).", (s) => s.stats.commitBatches),
  counter("lastseen_commit_failures_total", "Store commits that failed.", (s) => s.stats.commitFailures),
  counter("lastseen_throttled_total", "Throttle messages sent to agents that sent too fast.", (s) => s.stats.throttled),
  counter("lastseen_liveness_timeouts_total", "Agent connections dropped for a missed pong.", (s) => s.stats.livenessTimeouts),
  {
    name: "lastseen_protocol_errors_total", help: "Agent connections closed for a protocol error, by error code.", type: "counter", labels: ["code"],
    samples: (s) => [...s.stats.protocolErrors].map(([code, n]): Sample => [{ code }, n]),
  },

  // STUN responder and PROXY protocol listener, when they run
  { ...counter("lastseen_stun_received_total", "Datagrams the STUN responder received.", (s) => s.stun?.received ?? null), requires: "stun" },
  {
    name: "lastseen_stun_datagrams_total", help: "What the STUN responder did with each datagram.", type: "counter", labels: ["outcome"], requires: "stun",
    samples: (s) => {
      const c = s.stun;
      if (!c) return [];
      const o: Array<[string, number]> = [
        ["answered", c.answered], ["error_response", c.errors], ["malformed", c.malformed], ["ignored", c.ignored],
        ["change_request", c.changeRequests], ["rate_limited", c.rateLimited], ["oversized", c.oversized], ["send_failure", c.sendFailures],
      ];
      return o.map(([outcome, n]): Sample => [{ outcome }, n]);
    },
  },
  {
    name: "lastseen_proxy_protocol_connections_total", help: "Connections on the PROXY protocol listener by outcome.", type: "counter", labels: ["outcome"], requires: "proxyProtocol",
    samples: (s) => {
      const c = s.proxyProtocol;
      if (!c) return [];
      return [["accepted", c.accepted], ["passed_through", c.passedThrough], ["rejected", c.rejected], ["timed_out", c.timedOut]]
        .map(([outcome, n]): Sample => [{ outcome: String(outcome) }, Number(n)]);
    },
  },
];
