import type { Migration } from "./index.js";

export const m0002: Migration = {
  version: 2,
  name: "alerts, flips, notifications, silences, jobs, stale findings, kernel",
  sql: `
-- The state of every check (host x rule x key): what the alert engine last decided.
CREATE TABLE alerts (
  id               INTEGER PRIMARY KEY,
  host_id          INTEGER REFERENCES hosts (id),
  rule             TEXT NOT NULL,
  key              TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL CHECK (status IN ('ok', 'firing')),
  since            INTEGER NOT NULL,
  incident_id      TEXT,
  -- whether the current incident's firing was notified (silenced incidents are not)
  notified         INTEGER NOT NULL DEFAULT 0,
  last_notified_at INTEGER,
  details          TEXT NOT NULL DEFAULT '{}',
  UNIQUE (host_id, rule, key)
);

-- Every state change, stored in the same transaction as the state.
CREATE TABLE flips (
  id          INTEGER PRIMARY KEY,
  alert_id    INTEGER REFERENCES alerts (id),
  host_id     INTEGER REFERENCES hosts (id),
  rule        TEXT NOT NULL,
  key         TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL CHECK (kind IN ('firing', 'resolved', 'reminder', 'summary', 'notice', 'test')),
  at          INTEGER NOT NULL,
  incident_id TEXT NOT NULL,
  subject     TEXT NOT NULL,
  text        TEXT NOT NULL,
  html        TEXT NOT NULL,
  facts       TEXT NOT NULL DEFAULT '{}',
  -- why no notification was made ('silenced', 'no channels'), or null
  suppressed  TEXT
);
CREATE INDEX flips_at ON flips (at);
CREATE INDEX flips_host ON flips (host_id, at);

-- The durable notification outbox: one row per flip and channel.
CREATE TABLE notifications (
  id              INTEGER PRIMARY KEY,
  flip_id         INTEGER NOT NULL REFERENCES flips (id),
  channel         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claimed_until   INTEGER,
  last_error      TEXT,
  receipt         TEXT,
  delivered_at    INTEGER,
  created_at      INTEGER NOT NULL,
  UNIQUE (flip_id, channel)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);

CREATE TABLE silences (
  id         INTEGER PRIMARY KEY,
  host_id    INTEGER NOT NULL REFERENCES hosts (id),
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  reason     TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  removed_at INTEGER
);
CREATE INDEX silences_host ON silences (host_id, ends_at);

CREATE TABLE jobs (
  id                INTEGER PRIMARY KEY,
  host_id           INTEGER NOT NULL REFERENCES hosts (id),
  job               TEXT NOT NULL,
  first_seen        INTEGER NOT NULL,
  -- the agent's declaration (JSON), if any; the collector's config wins over it
  declared          TEXT,
  window_start      INTEGER NOT NULL,
  last_start        INTEGER,
  last_end          INTEGER,
  last_exit_code    INTEGER,
  last_signal       TEXT,
  last_result       TEXT CHECK (last_result IN ('ok', 'failed', 'running')),
  last_duration_ms  INTEGER,
  last_output_tail  TEXT,
  last_message      TEXT,
  last_ok_end       INTEGER,
  running_run_id    TEXT,
  running_since     INTEGER,
  runs              INTEGER NOT NULL DEFAULT 0,
  UNIQUE (host_id, job)
);

CREATE TABLE job_runs (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts (id),
  job         TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  started_at  INTEGER,
  ended_at    INTEGER,
  exit_code   INTEGER,
  signal      TEXT,
  duration_ms INTEGER,
  output_tail TEXT,
  message     TEXT,
  UNIQUE (host_id, run_id)
);
CREATE INDEX job_runs_job ON job_runs (host_id, job, id);

-- Current stale-library findings per host: replaced by each report, first_seen kept per process.
CREATE TABLE stale_findings (
  host_id      INTEGER NOT NULL REFERENCES hosts (id),
  pid          INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  name         TEXT NOT NULL,
  unit         TEXT NOT NULL,
  user         TEXT NOT NULL,
  container    TEXT NOT NULL,
  restart_kind TEXT NOT NULL,
  cmdline      TEXT NOT NULL,
  deleted      TEXT NOT NULL,
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  PRIMARY KEY (host_id, pid, started_at)
);

CREATE TABLE host_scans (
  host_id              INTEGER PRIMARY KEY REFERENCES hosts (id),
  scanned_at           INTEGER NOT NULL,
  received_at          INTEGER NOT NULL,
  scanned_processes    INTEGER NOT NULL,
  skipped_vanished     INTEGER NOT NULL,
  skipped_denied       INTEGER NOT NULL,
  kernel_running       TEXT,
  kernel_installed     TEXT,
  reboot_required      INTEGER NOT NULL DEFAULT 0,
  reboot_reason        TEXT,
  reboot_first_seen    INTEGER
);

-- What each feed last said of a host's address per family: "peer" (the connection's address as the
-- collector saw it) and "agent" (the address the agent accepted after cross-checking its sources).
-- The current address (the newest address_periods row) is chosen from these by
-- collector/ip/current-address.ts.
CREATE TABLE address_views (
  host_id   INTEGER NOT NULL REFERENCES hosts (id),
  family    INTEGER NOT NULL CHECK (family IN (4, 6)),
  feed      TEXT NOT NULL CHECK (feed IN ('peer', 'agent')),
  address   TEXT NOT NULL,
  -- when the feed started to report this address (unchanged while it repeats it)
  since     INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  sources   TEXT NOT NULL,
  PRIMARY KEY (host_id, family, feed)
);

-- IP on-change hooks, per host and family: the latest address the hook must run for (written in
-- the transaction that changed the address; a newer change supersedes an older pending run) and
-- the outcome of its attempts.
CREATE TABLE ip_hooks (
  host_id         INTEGER NOT NULL REFERENCES hosts (id),
  family          INTEGER NOT NULL CHECK (family IN (4, 6)),
  -- bumped by every new address; the outcome of a run for an older one is not recorded
  generation      INTEGER NOT NULL,
  address         TEXT NOT NULL,
  previous        TEXT NOT NULL DEFAULT '',
  changed_at      INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed')),
  -- attempts for this address
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error      TEXT,
  -- first failure since the last success (across addresses): the ip.hook-failed alert fires while set
  failing_since   INTEGER,
  -- the address of the last successful run, and when
  done_address    TEXT,
  done_at         INTEGER,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (host_id, family)
);
`,
};
