// Builds a collector from a validated config: store, ingest, API, background loops. Tests start
// it in-process on port 0; `lastseen serve` starts it in the foreground.
import type { AddressInfo } from "node:net";
import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import { addressFamily, normalizeAddress } from "../proto/ip.js";
import { systemClock, type Clock } from "./clock.js";
import type { CollectorConfig } from "./config.js";
import { dataFiles, ensureDataDir, readAdminToken, removeApiInfo, writeFileAtomic } from "./data-dir.js";
import { CollectorError } from "./errors.js";
import { registerApi } from "./http/api.js";
import { Router } from "./http/router.js";
import { createHttpServer, type CollectorServer } from "./http/server.js";
import { Committer } from "./ingest/committer.js";
import { Liveness } from "./ingest/liveness.js";
import { Ingest } from "./ingest/server.js";
import { Queries, type LiveState } from "./queries.js";
import { hostTimeoutMs, liveness } from "./rules/host-status.js";
import { CollectorStats } from "./stats.js";
import { Store } from "./store/store.js";
import { VERSION } from "./version.js";

export interface CollectorDeps {
  log: Logger;
  clock?: Clock;
}

export interface RunningCollector {
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  readonly stats: CollectorStats;
  readonly queries: Queries;
  /** Re-reads TLS files (SIGHUP). */
  reload(): void;
  stop(): Promise<void>;
}

export async function startCollector(config: CollectorConfig, deps: CollectorDeps): Promise<RunningCollector> {
  const log = deps.log;
  const clock = deps.clock ?? systemClock;
  ensureDataDir(config.data);
  const files = dataFiles(config.data);
  const store = Store.open(files.db);
  const stats = new CollectorStats();
  store.hosts.markAllDisconnected(clock.now());
  const adminToken = ensureAdminToken(store, config.data, clock.now());

  const liveness_ = new Liveness(store, log);
  const committer = new Committer({ store, clock, log, stats });
  const ingest = new Ingest({
    store, committer, liveness: liveness_, clock, log, stats,
    limits: {
      maxPayload: config.limits.max_payload,
      maxConnections: config.limits.max_connections,
      helloTimeoutMs: config.limits.hello_timeout,
      pingIntervalMs: config.limits.ping_interval,
      messagesPerSecond: config.limits.messages_per_second,
      messageBurst: config.limits.message_burst,
    },
    stunPort: 0,
    clientAddress: (req: IncomingMessage) => normalizeAddress(req.socket.remoteAddress ?? "") ?? "",
    onAddress: (hostId, address, at) => {
      const family = addressFamily(address);
      if (family !== 0) store.addresses.observe(hostId, family, address, "peer", at);
    },
  });

  const live: LiveState = {
    lastSeen: (h) => liveness_.get(h.id, h.lastSeen),
    connected: (id) => ingest.isConnected(id),
    timeoutMs: (h) => hostTimeoutMs({ heartbeatIntervalMs: h.heartbeatIntervalMs }),
    state: (h) => liveness(liveness_.get(h.id, h.lastSeen), hostTimeoutMs({ heartbeatIntervalMs: h.heartbeatIntervalMs }), clock.now()).state,
  };
  const queries = new Queries(store, live);
  const router = new Router();
  router.add("GET", "/healthz", "public", () => ({ ok: true, version: VERSION }));
  registerApi(router, queries);

  const server: CollectorServer = createHttpServer({
    router, log,
    tls: config.tls ? { certFile: config.tls.cert_file, keyFile: config.tls.key_file } : undefined,
    handshakeTimeoutMs: config.limits.handshake_timeout,
    roleOf: (token) => {
      const owner = store.tokens.verify(token, clock.now());
      return owner && (owner.role === "admin" || owner.role === "read") ? owner.role : null;
    },
  });
  ingest.attach(server);
  await listen(server, config.listen.host, config.listen.port);
  const port = (server.address() as AddressInfo).port;
  const scheme = config.tls ? "https" : "http";
  const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const url = `${scheme}://${host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host}:${port}`;
  writeFileAtomic(files.api, JSON.stringify({ url, pid: process.pid, startedAt: new Date(clock.now()).toISOString(), version: VERSION }, null, 2) + "\n", 0o644);
  liveness_.start();
  log.info({ url, data: config.data }, "collector listening");
  void adminToken;

  let stopped = false;
  return {
    url, port, store, stats, queries,
    reload: () => {
      try {
        server.reloadTls();
        log.info("TLS certificate reloaded");
      } catch (err) {
        log.error({ err }, "TLS reload failed; keeping the previous certificate");
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      ingest.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      committer.flush();
      liveness_.stop();
      removeApiInfo(config.data, process.pid);
      store.close();
      log.info("collector stopped");
    },
  };
}

function listen(server: CollectorServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new CollectorError("LASTSEEN_ERR_LISTEN", `cannot listen on ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Keeps the admin token file valid: creates (or replaces) it when missing or revoked. */
function ensureAdminToken(store: Store, dir: string, now: number): string {
  const existing = readAdminToken(dir);
  if (existing && store.tokens.verify(existing, now)?.role === "admin") return existing;
  const token = store.tokens.rotateAdmin(now);
  writeFileAtomic(dataFiles(dir).adminToken, token + "\n", 0o600);
  return token;
}
