// The collector's configuration: one schema, validated once at start, frozen.
// Sources (later wins): TOML file (--config), LASTSEEN_* environment variables, flags.
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { loadConfig, type ConfigSources } from "../proto/config-source.js";
import { byteSize, duration, listenAddress } from "../proto/config-fields.js";
import { JOB_NAME_RE } from "../proto/limits.js";
import { NAME_RE } from "./errors.js";
import { isTimeZone } from "./http/status-page/format.js";
import { notifyConfigSchema } from "./notify/channel-config.js";
import { parseExpectation } from "./rules/job-schedule.js";
import { ScheduleError } from "./rules/schedule-error.js";

const limits = z.strictObject({
  /** Largest WebSocket frame accepted from an agent. */
  max_payload: byteSize().default(1024 * 1024),
  /** Time allowed for the TLS and HTTP upgrade handshake. */
  handshake_timeout: duration({ min: 100 }).default(10_000),
  /** Time allowed between the upgrade and the agent's Hello. */
  hello_timeout: duration({ min: 100 }).default(10_000),
  /** Interval of the collector's WebSocket pings; a peer that misses one pong is dropped. */
  ping_interval: duration({ min: 100 }).default(30_000),
  /** Sustained frames per second per connection, and the burst above it. */
  messages_per_second: z.number().positive().default(2000),
  message_burst: z.number().int().positive().default(20_000),
  /** Most connections at once (agents are cheap: about 30 KiB each). */
  max_connections: z.number().int().positive().default(20_000),
}).prefault({});

const tls = z.strictObject({
  cert_file: z.string().min(1),
  key_file: z.string().min(1),
});

const statusPage = z.strictObject({
  /** Open the status page and /metrics to everyone, read-only, without a token. */
  public: z.boolean().default(false),
  /** Requests from this machine (loopback peer, not through a proxy) need no token. */
  loopback: z.boolean().default(true),
  /** How often the page reloads itself. */
  refresh: duration({ min: 5000, max: 3_600_000 }).default(30_000),
  /** IANA time zone for the absolute times on the page. */
  timezone: z.string().refine(isTimeZone, "not an IANA time zone (e.g. \"Europe/Berlin\", \"UTC\")").default("UTC"),
}).prefault({});

const RULES = ["host.silent", "host.stale", "job.failed", "job.missed", "job.too-long", "ip.hook-failed"] as const;

const alerts = z.strictObject({
  /** Default timeout for every host (else 3 heartbeat intervals plus 30 s, per host). */
  silent_after: duration({ min: 1000 }).optional(),
  /** How long stale-library findings or a pending reboot may last before they alert. */
  stale_after: duration().default(3_600_000),
  /** Reminder interval while a problem lasts ("0s" turns reminders off). */
  repeat: duration().default(86_400_000),
  /** Per-rule reminder intervals, e.g. { "host.silent" = "6h" }. */
  repeat_rules: z.partialRecord(z.enum(RULES), duration()).default({}),
  /** A gap in the collector's own alive mark longer than this is reported as downtime. */
  collector_down_after: duration({ min: 1000 }).default(60_000),
  alive_interval: duration({ min: 100 }).default(10_000),
}).prefault({});

const onIpChange = z.strictObject({
  /** Run this (argv, no shell) with LASTSEEN_HOST, LASTSEEN_ADDRESS, LASTSEEN_FAMILY set. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** POST the new address as JSON here. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  timeout: duration({ min: 100 }).default(30_000),
}).refine((h) => h.command !== undefined || h.url !== undefined, { message: "give command or url" });

const hostOverride = z.strictObject({
  name: z.string().regex(NAME_RE, "not a host name"),
  silent_after: duration({ min: 1000 }).optional(),
  /** Notify when the host's public address changes. */
  notify_ip_change: z.boolean().default(false),
  on_ip_change: onIpChange.optional(),
});

const jobExpectation = z.strictObject({
  host: z.string().regex(NAME_RE, "not a host name"),
  job: z.string().regex(JOB_NAME_RE, "not a job name"),
  every: z.string().optional(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  grace: z.string().optional(),
  max_runtime: z.string().optional(),
}).superRefine((j, ctx) => {
  try {
    parseExpectation(j, `job ${j.host}/${j.job}`);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    ctx.addIssue({ code: "custom", message: err.message, path: err.key ? [err.key] : [] });
  }
});

export const collectorSchema = z.strictObject({
  listen: listenAddress().default({ host: "127.0.0.1", port: 7070 }),
  /** Data directory: SQLite database, API address file and admin token. */
  data: z.string().min(1).default(defaultDataDir()),
  log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Reverse proxies whose X-Forwarded-For / Forwarded headers are trusted (addresses or CIDRs). */
  trusted_proxies: z.array(z.string()).default([]),
  /** Load balancers that send a PROXY protocol (v1/v2) header (addresses or CIDRs). */
  proxy_protocol: z.array(z.string()).default([]),
  /** UDP address of the built-in STUN responder, e.g. "0.0.0.0:3478"; off when absent. */
  stun: listenAddress().optional(),
  /** How long raw events are kept (derived state is kept regardless). */
  retention: duration({ min: 3_600_000 }).default(90 * 86_400_000),
  tls: tls.optional(),
  status_page: statusPage,
  limits,
  alerts,
  notify: notifyConfigSchema.prefault({}),
  hosts: z.array(hostOverride).default([]),
  jobs: z.array(jobExpectation).default([]),
});

export type CollectorConfig = z.output<typeof collectorSchema>;

/** Environment variables the collector reads (besides LASTSEEN_CONFIG). */
export const COLLECTOR_ENV: Record<string, string> = {
  LASTSEEN_LISTEN: "listen",
  LASTSEEN_DATA: "data",
  LASTSEEN_LOG_LEVEL: "log_level",
  LASTSEEN_TRUSTED_PROXIES: "trusted_proxies",
  LASTSEEN_STUN: "stun",
  LASTSEEN_TLS_CERT_FILE: "tls.cert_file",
  LASTSEEN_TLS_KEY_FILE: "tls.key_file",
  LASTSEEN_SILENT_AFTER: "alerts.silent_after",
};

export function loadCollectorConfig(sources: Omit<ConfigSources, "envKeys">): CollectorConfig {
  return loadConfig(collectorSchema, { ...sources, envKeys: COLLECTOR_ENV });
}

/** /var/lib/lastseen for root, ~/.local/state/lastseen otherwise; LASTSEEN_DATA overrides both. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LASTSEEN_DATA) return env.LASTSEEN_DATA;
  if (process.getuid?.() === 0) return "/var/lib/lastseen";
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "lastseen");
}
