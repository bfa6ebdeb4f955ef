// /metrics in the Prometheus text format. prom-client is loaded on the first scrape (it is an
// optional dependency); every value is computed at scrape time from the read models and the
// collector's counters through collect callbacks, never kept twice. Access: the view guard, as
// for the status page (a read or admin token, or a request from this machine; see view-access.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { RequestContext, Router } from "../router.js";
import type { ViewGuard } from "../view-guard.js";
import { FAMILIES, type Family } from "./families.js";
import { importPromClient, MetricsError, type PromClientModule } from "./prom-client.js";
import { takeSnapshot, type MetricsSnapshot, type MetricsSources } from "./snapshot.js";

export { MetricsError, importPromClient };
export type { MetricsSources };

export interface MetricsDeps extends MetricsSources {
  guard: ViewGuard;
  /** Seam: how prom-client is loaded (default: import("prom-client")). */
  loadPromClient?: () => Promise<PromClientModule>;
  /** Also export prom-client's process and Node.js metrics (process_*, nodejs_*). Default true. */
  defaultMetrics?: boolean;
  /** Called once when prom-client cannot be loaded (the scrape itself answers 503). */
  onUnavailable?: (err: MetricsError) => void;
}

/** Builds the registry: one prom-client metric per family, filled by its collect callback. */
export function buildRegistry(prom: PromClientModule, families: readonly Family[], current: () => MetricsSnapshot, defaults: boolean): Registry {
  const registry = new prom.Registry();
  for (const f of families) {
    const common = { name: f.name, help: f.help, labelNames: [...f.labels], registers: [registry] };
    if (f.type === "gauge") {
      new prom.Gauge({
        ...common,
        collect() {
          this.reset();
          for (const [labels, v] of f.samples(current())) this.set(labels, v);
        },
      });
    } else {
      new prom.Counter({
        ...common,
        collect() {
          this.reset();
          for (const [labels, v] of f.samples(current())) this.inc(labels, v);
        },
      });
    }
  }
  if (defaults) prom.collectDefaultMetrics({ register: registry });
  return registry;
}

export function registerMetrics(router: Router, d: MetricsDeps): void {
  let registry: Promise<Registry> | null = null;
  let snapshot: MetricsSnapshot | null = null;
  const current = (): MetricsSnapshot => snapshot ?? takeSnapshot(d);
  const families = FAMILIES.filter((f) => (f.requires === "stun" ? d.stun !== undefined : f.requires === "proxyProtocol" ? d.proxyProtocol !== undefined : true));
  const load = (): Promise<Registry> => {
    registry ??= (d.loadPromClient ?? (() => importPromClient()))()
      .then((prom) => buildRegistry(prom, families, current, d.defaultMetrics ?? true))
      .catch((err: unknown) => {
        registry = null; // installed later: the next scrape tries again
        const e = err instanceof MetricsError ? err : new MetricsError(`cannot build the metrics registry: ${(err as Error).message}`, { cause: err });
        d.onUnavailable?.(e);
        throw e;
      });
    return registry;
  };
  const refuse = (_req: IncomingMessage, res: ServerResponse, reason: string, extra: Record<string, string | string[]>) => {
    sendText(res, 401, `lastseen: ${reason}. Send Authorization: Bearer TOKEN (a read or admin token).\n`, { ...extra, "www-authenticate": 'Bearer realm="lastseen"' });
  };

  router.add("GET", "/metrics", "public", async (ctx: RequestContext) => {
    if (!d.guard.admit(ctx.req, ctx.res, refuse)) return undefined;
    let reg: Registry;
    try {
      reg = await load();
    } catch (err) {
      if (!(err instanceof MetricsError)) throw err;
      sendText(ctx.res, 503, `lastseen: ${err.message} [${err.code}]\n`);
      return undefined;
    }
    snapshot = takeSnapshot(d);
    try {
      sendText(ctx.res, 200, await reg.metrics(), { "content-type": reg.contentType });
    } finally {
      snapshot = null;
    }
    return undefined;
  });
}

function sendText(res: ServerResponse, status: number, body: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", ...extra, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
