import type { Migration } from "./index.js";

export const m0001: Migration = {
  version: 1,
  name: "hosts, tokens, events, addresses, meta",
  sql: `
CREATE TABLE hosts (
  id                    INTEGER PRIMARY KEY,
  name                  TEXT NOT NULL UNIQUE,
  created_at            INTEGER NOT NULL,
  first_seen            INTEGER,
  last_seen             INTEGER,
  stream_id             TEXT,
  high_water_seq        INTEGER NOT NULL DEFAULT 0,
  hostname              TEXT,
  agent_version         TEXT,
  boot_id               TEXT,
  kernel_release        TEXT,
  os                    TEXT,
  heartbeat_interval_ms INTEGER,
  outbox_dropped        INTEGER NOT NULL DEFAULT 0,
  outbox_pending        INTEGER NOT NULL DEFAULT 0,
  last_address          TEXT,
  connected             INTEGER NOT NULL DEFAULT 0,
  last_connected_at     INTEGER,
  last_disconnected_at  INTEGER,
  events_received       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('agent', 'admin', 'read')),
  hash         TEXT NOT NULL UNIQUE,
  hint         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
);
CREATE INDEX tokens_name ON tokens (name);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts (id),
  stream_id   TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  event_id    TEXT NOT NULL,
  kind        TEXT NOT NULL,
  sent_at     INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body        BLOB NOT NULL,
  UNIQUE (host_id, event_id)
);
CREATE INDEX events_host_kind ON events (host_id, kind, id);

CREATE TABLE rejected_events (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts (id),
  seq         INTEGER NOT NULL,
  event_id    TEXT NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  received_at INTEGER NOT NULL
);

-- One row per period during which a host had one address in a family: A -> B -> A is three rows.
CREATE TABLE address_periods (
  id         INTEGER PRIMARY KEY,
  host_id    INTEGER NOT NULL REFERENCES hosts (id),
  family     INTEGER NOT NULL CHECK (family IN (4, 6)),
  address    TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  sources    TEXT NOT NULL,
  last_source TEXT NOT NULL
);
CREATE INDEX address_periods_host ON address_periods (host_id, family, id);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
};
