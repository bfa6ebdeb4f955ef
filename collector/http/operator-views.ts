// Wires the read-only operator views into the router: the status page ("/", "/hosts/NAME") and
// /metrics, both behind one view guard built from `[status_page]` and `trusted_proxies`.
// app.ts calls this once, after registerApi().
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { CollectorConfig } from "../config.js";
import type { TrustedProxies } from "../ingest/client-address.js";
import type { ProxyProtocolCounters } from "../ingest/proxy-protocol.js";
import type { Queries } from "../queries/index.js";
import type { CollectorStats } from "../stats.js";
import type { Store } from "../store/store.js";
import type { StunResponderCounters } from "../stun/responder.js";
import { registerMetrics } from "./metrics/index.js";
import type { Router } from "./router.js";
import { registerStatusPage } from "./status-page/index.js";
import { createViewGuard } from "./view-guard.js";

export interface OperatorViewsDeps {
  config: Pick<CollectorConfig, "status_page" | "tls">;
  queries: Queries;
  store: Store;
  stats: CollectorStats;
  clock: Clock;
  log: Logger;
  trustedProxies: TrustedProxies;
  /** The STUN responder's counters, when it runs. */
  stun?: () => Readonly<StunResponderCounters>;
  /** The PROXY protocol listener's counters, when configured. */
  proxyProtocol?: () => Readonly<ProxyProtocolCounters>;
}

export function registerOperatorViews(router: Router, d: OperatorViewsDeps): void {
  const guard = createViewGuard({
    roleOf: (token) => {
      const owner = d.store.tokens.verify(token, d.clock.now());
      return owner && (owner.role === "admin" || owner.role === "read") ? owner.role : null;
    },
    trustedProxies: d.trustedProxies,
    policy: d.config.status_page,
    tls: d.config.tls !== undefined,
  });
  registerStatusPage(router, {
    queries: d.queries, clock: d.clock, guard,
    refreshMs: d.config.status_page.refresh, timeZone: d.config.status_page.timezone,
    jobRuns: (host, job, limit) => d.queries.jobRuns(host, job, limit),
  });
  let warned = false;
  registerMetrics(router, {
    guard, queries: d.queries, stats: d.stats, stun: d.stun, proxyProtocol: d.proxyProtocol,
    onUnavailable: (err) => {
      if (warned) return;
      warned = true;
      d.log.warn({ code: err.code }, err.message);
    },
  });
}
