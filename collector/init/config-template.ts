// The commented config file `lastseen init collector` writes: every key of collectorSchema
// (collector/config.ts) with its default. Active lines hold the defaults, so the file as written
// changes nothing; "# key = value" lines are examples of keys without a default (each valid, and
// valid together); "#   or: ..." lines are alternatives. test/integration/operator/init.test.ts
// checks all of this against the schema, so a key added there must be added here.
import { defaultDataDir } from "../config.js";

export interface CollectorTemplateOptions {
  /** The data directory to write (default: what the collector would use for this user). */
  data?: string;
}

const q = (s: string): string => JSON.stringify(s);

export function collectorConfigTemplate(o: CollectorTemplateOptions = {}): string {
  const data = o.data ?? defaultDataDir();
  return `# lastseen collector configuration: lastseen serve --config THIS_FILE
# (or LASTSEEN_CONFIG=THIS_FILE). Every key is shown with its default; a commented-out key has no
# default and is off until you set it. Environment variables LASTSEEN_* and command-line flags
# override this file. Durations: "90s", "30m", "24h", "1h30m", "7d". Sizes: "512KiB", "1MiB".
# A misspelt key or a bad value stops the collector at start, naming this file and the key.

# Address of the HTTP server: agents' WebSocket (/v1/agent), the JSON API, the status page (/)
# and /metrics. Keep 127.0.0.1 behind a reverse proxy on this machine (deploy/proxy/).
listen = "127.0.0.1:7070"

# SQLite database, api.json and the admin token (mode 0600) live here.
data = ${q(data)}

# fatal, error, warn, info, debug, trace or silent.
log_level = "info"

# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs), e.g. ["127.0.0.1/32"]
# for Caddy or nginx on this machine. Requests through them also need a token for the status page.
trusted_proxies = []

# Load balancers that send a PROXY protocol v1/v2 header (addresses or CIDRs).
proxy_protocol = []

# UDP address of the built-in STUN responder, which lets agents learn their public address.
# stun = "0.0.0.0:3478"

# How long raw events are kept (hosts, findings, jobs and address history are kept regardless).
retention = "90d"

# Terminate TLS here instead of in a reverse proxy (files re-read on SIGHUP).
# [tls]
# cert_file = "/etc/lastseen/tls/fullchain.pem"
# key_file = "/etc/lastseen/tls/privkey.pem"

[status_page]
# Open the status page and /metrics to everyone, read-only. Otherwise they need a read or admin
# token (lastseen token add NAME --role read), except from this machine (see loopback).
public = false
# Requests from this machine (a loopback peer, not through a proxy) need no token.
loopback = true
# How often the page reloads itself.
refresh = "30s"
# IANA time zone of the absolute times on the page, e.g. "Europe/Berlin".
timezone = "UTC"

[limits]
# Largest WebSocket frame accepted from an agent.
max_payload = "1MiB"
# Time allowed for the TLS and HTTP upgrade handshake.
handshake_timeout = "10s"
# Time allowed between the upgrade and the agent's Hello.
hello_timeout = "10s"
# The collector pings every agent this often; one missed pong drops the connection.
ping_interval = "30s"
# Frames per second per connection (sustained), and the burst above it.
messages_per_second = 2000
message_burst = 20000
# Most agent connections at once.
max_connections = 20000

[alerts]
# A host is silent after this long without a heartbeat. Default: 3 heartbeat intervals + 30 s,
# per host (2 min for the default 30 s heartbeat).
# silent_after = "5m"
# How long stale-library findings or a pending reboot may last before they alert.
stale_after = "1h"
# Reminder interval while a problem lasts ("0s": no reminders).
repeat = "24h"
# A gap in the collector's own alive mark longer than this is reported as collector downtime.
collector_down_after = "1m"
alive_interval = "10s"

# Per-rule reminder intervals. Rules: host.silent, host.stale, job.failed, job.missed,
# job.too-long, ip.hook-failed.
[alerts.repeat_rules]
# "host.silent" = "6h"

# Per-host settings; repeat the block for each host.
# [[hosts]]
# name = "home"
# silent_after = "10m"
# notify_ip_change = true
# Run a command (argv, no shell; LASTSEEN_HOST, LASTSEEN_ADDRESS, LASTSEEN_FAMILY are set) and/or
# POST the new address as JSON when the host's public address changes, e.g. to update DNS.
# [hosts.on_ip_change]
# command = ["/usr/local/bin/update-dns", "home.example.org"]
# url = "https://dns.example.org/lastseen-hook"
# timeout = "30s"

# Expected jobs; repeat the block for each job. Alerts when a run fails, runs too long, or no run
# succeeds by the deadline plus grace. The agent may declare the same in its config; this wins.
# [[jobs]]
# host = "home"
# job = "backup"
# cron = "30 2 * * *"
# timezone = "Europe/Berlin"
#   or: every = "24h" (an interval, instead of cron and timezone)
# grace = "1h"
# max_runtime = "4h"

# Notification channels (docs/notifications.md); repeat a block for a second channel of a kind.
# Secrets: prefer *_file (read once) or *_env (a variable name) to writing them here.
[notify]

# [[notify.email]]
# name = "mail"
# smtp = "smtp://mail.example.org:587"
#   or: smtp = "smtps://mail.example.org:465" (implicit TLS)
# username = "lastseen@example.org"
# password_file = "/etc/lastseen/smtp-password"
#   or: password_env = "LASTSEEN_SMTP_PASSWORD", or password = "..." (discouraged)
# require_tls = true
# ca_file = "/etc/lastseen/smtp-ca.pem"
# from = "lastseen@example.org"
# to = ["you@example.org"]
# timeout = "30s"

# [[notify.matrix]]
# name = "matrix"
# homeserver = "https://matrix.example.org"
# access_token_file = "/etc/lastseen/matrix-token"
#   or: access_token_env = "LASTSEEN_MATRIX_TOKEN", or access_token = "..." (discouraged)
# room = "#alerts:example.org"
# timeout = "30s"

# [[notify.webhook]]
# name = "webhook"
# url = "https://hooks.example.org/lastseen"
# secret_file = "/etc/lastseen/webhook-secret"
#   or: secret_env = "LASTSEEN_WEBHOOK_SECRET", or secret = "..." (discouraged)
# headers = { "X-Team" = "ops", Authorization = { file = "/etc/lastseen/hook-auth" } }
# timeout = "30s"

# [[notify.exec]]
# name = "sms"
# command = ["/usr/local/bin/notify-sms", "--to", "+4912345678"]
# env = { SMS_API_KEY = { env = "SMS_API_KEY" } }
# timeout = "30s"
`;
}
