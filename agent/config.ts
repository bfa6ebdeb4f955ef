// The agent's configuration: one schema, validated once at start, frozen.
// Sources (later wins): TOML file (--config), LASTSEEN_* environment variables, flags.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, loadConfig, type ConfigSources } from "../proto/config-source.js";
import { byteSize, duration } from "../proto/config-fields.js";
import { JOB_NAME_RE } from "../proto/limits.js";
import { publicIpSchema } from "./probes/public-ip/config.js";
import { defaultStateDir } from "./state-dir.js";

export { defaultStateDir };

const jobExpectation = z.strictObject({
  job: z.string().regex(JOB_NAME_RE, "job names use letters, digits and . _ : @ + -"),
  every: z.string().optional(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  grace: z.string().optional(),
  max_runtime: z.string().optional(),
}).refine((j) => (j.every === undefined) !== (j.cron === undefined), { message: "give exactly one of every or cron" });

export const agentSchema = z.strictObject({
  /** ws:// or wss:// URL of the collector (the path defaults to /v1/agent). */
  collector: z.string().regex(/^wss?:\/\/[^\s]+$/, "must be a ws:// or wss:// URL").optional(),
  /** The host's token; prefer token_file or LASTSEEN_TOKEN over writing it here. */
  token: z.string().min(1).optional(),
  token_file: z.string().min(1).optional(),
  /** State directory: outbox, spool, control socket, lock. */
  state: z.string().min(1).default(defaultStateDir()),
  heartbeat: duration({ min: 100, max: 3_600_000 }).default(30_000),
  /** PEM file of the CA that signed the collector's certificate (else the system CAs). */
  ca_file: z.string().min(1).optional(),
  log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  outbox: z.strictObject({
    max_bytes: byteSize().default(64 * 1024 * 1024),
  }).prefault({}),
  stale_libs: z.strictObject({
    enabled: z.boolean().default(true),
    interval: duration({ min: 1000 }).default(10 * 60_000),
    /** An unchanged report is re-sent after this long. */
    refresh: duration({ min: 60_000 }).default(6 * 3_600_000),
    /** Extra path prefixes or patterns to ignore, added to the defaults. */
    ignore: z.array(z.string()).default([]),
    /** Also report processes in containers (other PID/mount namespaces). */
    containers: z.boolean().default(false),
  }).prefault({}),
  public_ip: publicIpSchema.prefault({}),
  jobs: z.array(jobExpectation).default([]),
});

export type AgentConfig = z.output<typeof agentSchema>;

export const AGENT_ENV: Record<string, string> = {
  LASTSEEN_COLLECTOR: "collector",
  LASTSEEN_TOKEN: "token",
  LASTSEEN_TOKEN_FILE: "token_file",
  LASTSEEN_STATE: "state",
  LASTSEEN_HEARTBEAT: "heartbeat",
  LASTSEEN_CA_FILE: "ca_file",
  LASTSEEN_LOG_LEVEL: "log_level",
};

export function loadAgentConfig(sources: Omit<ConfigSources, "envKeys">): AgentConfig {
  return loadConfig(agentSchema, { ...sources, envKeys: AGENT_ENV });
}

/** The token from token_file or token; errors name the file or the missing key. */
export function resolveToken(c: AgentConfig): string {
  if (c.token_file) {
    let t: string;
    try {
      t = readFileSync(c.token_file, "utf8").trim();
    } catch (err) {
      throw new ConfigError(`cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, c.token_file, "token_file");
    }
    if (!t) throw new ConfigError("the token file is empty", c.token_file, "token_file");
    return t;
  }
  if (c.token) return c.token;
  throw new ConfigError("no token: give --token, LASTSEEN_TOKEN, or token_file in the config file (create one with `lastseen token add NAME` on the collector)", "agent configuration", "token");
}

/** The WebSocket URL of the agents' endpoint. */
export function agentUrl(collector: string): string {
  const u = new URL(collector);
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/v1/agent";
  return u.toString();
}
