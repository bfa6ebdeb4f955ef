// Builds a collector from a validated config: store, ingest, API, alert engine and dispatcher.
// Tests start it in-process on port 0; `lastseen serve` starts it in the foreground.
import { randomUUID } from "node:crypto";
import { chmodSync, rmSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { AlertEngine } from "./alerts/engine.js";
import { Dispatcher } from "./alerts/dispatcher.js";
import { policyFromConfig } from "./alerts/policy.js";
import { systemClock, type Clock } from "./clock.js";
import type { CollectorConfig } from "./config.js";
import { dataFiles, ensureDataDir, readAdminToken, removeApiInfo, writeFileAtomic } from "./data-dir.js";
import { CollectorError } from "./errors.js";
import { registerApi } from "./http/api.js";
import { registerOperatorViews } from "./http/operator-views.js";
import { Router } from "./http/router.js";
import { createHttpServer, createLocalServer, type CollectorServer } from "./http/server.js";
import { clientAddress, trustedProxyList } from "./ingest/client-address.js";
import { Committer } from "./ingest/committer.js";
import { Liveness } from "./ingest/liveness.js";
import { acceptProxyProtocol, proxyProtocolAddress, type ProxyProtocolHandle } from "./ingest/proxy-protocol.js";
import { Ingest } from "./ingest/server.js";
import { AddressTracker } from "./ip/address-tracker.js";
import { HookRunner, hookConfigs } from "./ip/hook-runner.js";
import { createNotifiers } from "./notify/channel-config.js";
import type { Notifier } from "./notify/notifier.js";
import { Queries, type LiveState } from "./queries/index.js";
import { hostState, hostTimeoutMs } from "./rules/host-status.js";
import { CollectorStats } from "./stats.js";
import { startRetention } from "./store/retention.js";
import { Store } from "./store/store.js";
import { startStunResponder, type StunResponder } from "./stun/responder.js";
import { VERSION } from "../proto/version.js";

export interface CollectorDeps {
  log: Logger;
  clock?: Clock;
  /** Channels to use instead of the configured ones (tests inject real channels to test peers). */
  notifiers?: Notifier[];
  /** Waits before the retries of a failed IP on-change hook (default: rules/ip-hook.ts). */
  ipHookRetryMs?: readonly number[];
}

export interface RunningCollector {
  readonly url: string;
  readonly port: number;
  readonly stunPort: number;
  readonly store: Store;
  readonly stats: CollectorStats;
  readonly queries: Queries;
  readonly engine: AlertEngine;
  readonly dispatcher: Dispatcher;
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
  const now = clock.now();
  store.hosts.markAllDisconnected(now);
  ensureAdminToken(store, config.data, now);
  const instanceId = store.meta.get("instance_id") ?? (() => {
    const id = randomUUID().slice(0, 8);
    store.meta.set("instance_id", id);
    return id;
  })();

  const notifiers = deps.notifiers ?? createNotifiers(config.notify, { log });
  for (const n of notifiers) {
    // A channel that cannot prepare now (SMTP down, Matrix room not joined) is reported; its
    // deliveries fail visibly and are retried.
    await n.init?.().catch((err: Error) => log.error({ channel: n.name, err: err.message }, "notification channel not ready"));
  }
  const dispatcher = new Dispatcher({ store, clock, log, notifiers, instanceId });
  const liveness = new Liveness(store, log);
  const timeoutOf = (h: { name: string; heartbeatIntervalMs: number | null }) => hostTimeoutMs({
    override: config.hosts.find((o) => o.name === h.name)?.silent_after, configured: config.alerts.silent_after, heartbeatIntervalMs: h.heartbeatIntervalMs,
  });
  const policy = policyFromConfig(config, log);
  const ipHooks = new HookRunner({ store, clock, log, hooks: hookConfigs(config.hosts), retryMs: deps.ipHookRetryMs, onOutcome: (id) => engine.hostChanged(id) });
  const engine = new AlertEngine({
    store, clock, log, policy, channels: dispatcher.channels,
    lastSeen: (h) => liveness.get(h.id, h.lastSeen),
    notified: () => dispatcher.kick(),
    ipHooks: (id) => ipHooks.states(id),
  });
  const notifyIpChange = new Set(config.hosts.filter((h) => h.notify_ip_change).map((h) => h.name));
  const addresses = new AddressTracker(store, {
    changed: (hostId, family, previous, current, source, at) => {
      const host = store.hosts.getById(hostId);
      if (!host) return;
      if (previous !== null && notifyIpChange.has(host.name)) engine.notice(hostId, "ip.changed", String(family), { host: host.name, family: String(family), previous_address: previous, address: current, source });
      ipHooks.request(hostId, host.name, family, current, previous, at);
    },
  });
  const committer = new Committer({
    store, clock, log, stats,
    observeAddress: (hostId, family, address, source, at) => addresses.observe(hostId, family, address, source, at),
    onCommitted: (hostIds) => { for (const id of hostIds) engine.hostChanged(id); },
  });

  const stun: StunResponder | null = config.stun ? await startStunResponder({ host: config.stun.host, port: config.stun.port, log }) : null;
  const trusted = trustedProxyList(config.trusted_proxies);
  const ingest = new Ingest({
    store, committer, liveness, clock, log, stats,
    limits: {
      maxPayload: config.limits.max_payload,
      maxConnections: config.limits.max_connections,
      helloTimeoutMs: config.limits.hello_timeout,
      pingIntervalMs: config.limits.ping_interval,
      messagesPerSecond: config.limits.messages_per_second,
      messageBurst: config.limits.message_burst,
    },
    stunPort: stun?.port ?? 0,
    clientAddress: (req: IncomingMessage) => clientAddress({
      remoteAddress: req.socket.remoteAddress ?? "", headers: req.headers, trustedProxies: trusted,
      proxyProtocolAddress: proxyProtocolAddress(req.socket)?.address,
    }).address,
    onHello: (hostId, hello, address, family, at) => store.transaction(() => {
      if (family !== 0) addresses.observe(hostId, family, address, "peer", at);
      store.jobs.declare(hostId, hello.jobs, at);
    }),
    onHostConnected: (id) => engine.hostChanged(id),
    onSeen: (id) => engine.seen(id),
  });

  const live: LiveState = {
    lastSeen: (h) => liveness.get(h.id, h.lastSeen),
    connected: (id) => ingest.isConnected(id),
    timeoutMs: timeoutOf,
    state: (h) => hostState({
      lastSeen: liveness.get(h.id, h.lastSeen), timeoutMs: timeoutOf(h),
      firing: store.alerts.get(h.id, "host.silent")?.status === "firing",
      silenced: store.silences.covering(h.id, clock.now()) !== null,
    }, clock.now()),
  };
  const queries = new Queries(store, live, clock, policy);
  const router = new Router();
  router.add("GET", "/healthz", "public", () => ({ ok: true, version: VERSION }));
  registerApi(router, { queries, store, clock, engine, notifiers, dispatcher, stats });
  registerOperatorViews(router, {
    config, queries, store, stats, clock, log, trustedProxies: trusted,
    stun: stun ? () => stun.counters() : undefined,
    proxyProtocol: config.proxy_protocol.length > 0 ? () => proxyProtocol!.counters() : undefined,
  });

  const httpOptions = {
    router, log,
    handshakeTimeoutMs: config.limits.handshake_timeout,
    roleOf: (token: string) => {
      const owner = store.tokens.verify(token, clock.now());
      return owner && (owner.role === "admin" || owner.role === "read") ? owner.role : null;
    },
  };
  const server: CollectorServer = createHttpServer({
    ...httpOptions, tls: config.tls ? { certFile: config.tls.cert_file, keyFile: config.tls.key_file } : undefined,
  });
  const localServer = createLocalServer(httpOptions);
  const proxyProtocol: ProxyProtocolHandle | null = config.proxy_protocol.length > 0
    ? acceptProxyProtocol(server, { loadBalancers: config.proxy_protocol, log }) : null;
  ingest.attach(server);
  await listen(server, config.listen.host, config.listen.port);
  const port = (server.address() as AddressInfo).port;
  const scheme = config.tls ? "https" : "http";
  const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const url = `${scheme}://${host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host}:${port}`;
  const socket = await listenLocal(localServer, files.socket, log);
  writeFileAtomic(files.api, JSON.stringify({ url, socket, pid: process.pid, startedAt: new Date(clock.now()).toISOString(), version: VERSION }, null, 2) + "\n", 0o644);
  liveness.start();
  const stopRetention = startRetention(store, clock, config.retention, log);
  ipHooks.start();
  engine.start();
  dispatcher.kick();
  log.info({ url, data: config.data, stunPort: stun?.port, channels: dispatcher.channels }, "collector listening");

  let stopped = false;
  return {
    url, port, stunPort: stun?.port ?? 0, store, stats, queries, engine, dispatcher,
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
      proxyProtocol?.detach();
      await Promise.all([server, localServer].map((srv) => new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      })));
      await stun?.close();
      committer.flush();
      liveness.stop();
      stopRetention();
      await ipHooks.stop();
      engine.stop();
      await dispatcher.stop();
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

/**
 * The API on a Unix socket (mode 0600) for the CLI on this machine; null (logged) when the file
 * system does not allow one: the CLI then uses the TCP address.
 */
async function listenLocal(server: HttpServer, path: string, log: Logger): Promise<string | null> {
  rmSync(path, { force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    return path;
  } catch (err) {
    log.warn({ err, path }, "cannot serve the API on a local socket; the CLI uses the TCP address");
    return null;
  }
}

/** Keeps the admin token file valid: creates (or replaces) it when missing or revoked. */
function ensureAdminToken(store: Store, dir: string, now: number): void {
  const existing = readAdminToken(dir);
  if (existing && store.tokens.verify(existing, now)?.role === "admin") return;
  const token = store.tokens.rotateAdmin(now);
  writeFileAtomic(dataFiles(dir).adminToken, token + "\n", 0o600);
}
