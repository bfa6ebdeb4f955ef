// Raw events are kept for `retention` (default 90 days); derived state (hosts, jobs, findings,
// addresses, alerts) is kept regardless. Pruned once at start and then hourly.
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { Store } from "./store.js";

export function startRetention(store: Store, clock: Clock, retentionMs: number, log: Logger): () => void {
  const prune = () => {
    try {
      const n = store.events.prune(clock.now() - retentionMs);
      if (n > 0) log.info({ deleted: n }, "pruned raw events past the retention period");
    } catch (err) {
      log.error({ err }, "cannot prune old events; will retry in an hour");
    }
  };
  prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
