// The commented config file `lastseen-agent init` writes: every key of agentSchema
// (agent/config.ts) with its default. Active lines hold the defaults, so the file as written
// changes nothing; "# key = value" lines are examples of keys without a default (each valid, and
// valid together); "#   or: ..." lines are alternatives. test/integration/operator/init.test.ts
// checks all of this against the schema, so a key added there must be added here.
import { defaultStateDir } from "../state-dir.js";

export interface AgentTemplateOptions {
  /** The state directory to write (default: what the agent would use for this user). */
  state?: string;
  /** Fills in `collector` (else it stays a commented example). */
  collector?: string;
  /** Fills in `token_file` (else it stays a commented example). */
  tokenFile?: string;
}

const q = (s: string): string => JSON.stringify(s);

export function agentConfigTemplate(o: AgentTemplateOptions = {}): string {
  const state = o.state ?? defaultStateDir();
  const collector = o.collector ? `collector = ${q(o.collector)}` : `# collector = "wss://lastseen.example.org"`;
  const tokenFile = o.tokenFile ? `token_file = ${q(o.tokenFile)}` : `# token_file = "/etc/lastseen-agent/token"`;
  return `# lastseen agent configuration: lastseen-agent run --config THIS_FILE
# (or LASTSEEN_AGENT_CONFIG=THIS_FILE). Every key is shown with its default; a commented-out key
# has no default. Environment variables LASTSEEN_* and command-line flags override this file.
# Durations: "90s", "30m", "24h", "1h30m". Sizes: "512KiB", "64MiB".
# A misspelt key or a bad value stops the agent at start, naming this file and the key.

# The collector: ws://HOST:PORT, or wss://HOST behind a TLS proxy (the path defaults to /v1/agent).
${collector}

# This host's token (from \`lastseen token add NAME\` on the collector), in a file of mode 0600/0640.
${tokenFile}
#   or: token = "lsa_..." here, or LASTSEEN_TOKEN in the environment (never on the command line)

# Outbox, spool of job reports, control socket and lock.
state = ${q(state)}

# How often the agent says it is alive (the collector calls the host silent after ~3 of these).
heartbeat = "30s"

# PEM file of a private CA that signed the collector's certificate (default: the system CAs).
# ca_file = "/etc/lastseen-agent/ca.pem"

# fatal, error, warn, info, debug, trace or silent.
log_level = "info"

[outbox]
# Events wait here while the collector is unreachable; when full, the oldest are dropped (and
# counted, so the collector can tell).
max_bytes = "64MiB"

[stale_libs]
# Scan /proc for processes running deleted libraries or executables (needs CAP_SYS_PTRACE to see
# other users' processes; see deploy/systemd/lastseen-agent.service).
enabled = true
interval = "10m"
# An unchanged report is sent again after this long.
refresh = "6h"
# Extra path prefixes or patterns to ignore, added to the built-in list (memfd:, /dev/shm, /tmp, ...).
ignore = []
# Also report processes inside containers (other PID or mount namespaces).
containers = false

[public_ip]
# Learn this host's public IPv4/IPv6 address from independent sources and cross-check them.
enabled = true
# Ask the collector's STUN responder (its [stun] setting must be on).
collector_stun = true
# Extra STUN servers, e.g. ["stun.example.net:3478"].
stun = []
# DNS echo: true for both "opendns" and "cloudflare", or a list such as ["opendns"].
dns = false
# Plain-text HTTPS echo URLs, e.g. ["https://ip.example.net/"].
http = []
# Ask the router for its WAN address (NAT-PMP, UPnP IGD).
natpmp = false
upnp = false
# Report the host's own interface addresses too.
interfaces = true
families = [4, 6]
interval = "5m"
refresh = "6h"
# Each source gives up after this long.
timeout = "3s"

# Jobs this host runs and when they must succeed; repeat the block for each job. Report runs with
# \`lastseen-agent job run NAME -- COMMAND\` (docs/jobs.md). The collector's [[jobs]] win.
# [[jobs]]
# job = "backup"
# every = "24h"
#   or: cron = "30 2 * * *" with timezone = "Europe/Berlin" (instead of every)
# grace = "1h"
# max_runtime = "4h"
`;
}
