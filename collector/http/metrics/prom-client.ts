// prom-client is an optional dependency (an agent-only install leaves it out), so /metrics loads
// it on the first scrape and answers 503 with this error's message when it is missing.
import type * as PromClient from "prom-client";

export type PromClientModule = typeof PromClient;

export class MetricsError extends Error {
  override readonly name = "MetricsError";
  readonly code = "LASTSEEN_ERR_METRICS_UNAVAILABLE";
}

/** Imports prom-client (or `name`, a seam for the test of the missing-module message). */
export async function importPromClient(name = "prom-client"): Promise<PromClientModule> {
  let mod: PromClientModule & { default?: PromClientModule };
  try {
    mod = (await import(name)) as PromClientModule & { default?: PromClientModule };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new MetricsError(`/metrics needs the optional package ${name}, which is not installed: run \`npm install ${name}\` where lastseen is installed (or install without --omit=optional)`, { cause: err });
    }
    throw new MetricsError(`cannot load ${name} for /metrics: ${(err as Error).message}`, { cause: err });
  }
  const m = mod.Registry ? mod : mod.default;
  if (!m?.Registry || !m.Gauge || !m.Counter) throw new MetricsError(`${name} does not look like prom-client (no Registry, Gauge or Counter export)`);
  return m;
}
