// A probe is a small, self-contained source of events (the Telegraf pattern): one folder per
// probe under agent/probes/, each exporting a factory that returns this interface.
import type { Logger } from "pino";
import type { AgentBody } from "../../proto/types.js";

export interface ProbeContext {
  readonly log: Logger;
  /** Aborted when the agent shuts down. */
  readonly signal: AbortSignal;
}

export interface ProbeResult {
  body: AgentBody;
  /**
   * A stable digest of what matters in the result. The agent spools a new event only when it
   * differs from the last one sent (or the probe's refresh interval has passed), so an idle host
   * costs nothing on the wire.
   */
  fingerprint: string;
}

export interface Probe {
  readonly name: string;
  /** How often collect() runs. */
  readonly intervalMs: number;
  /** An unchanged result is still sent after this long (periodic refresh). */
  readonly refreshMs: number;
  init?(ctx: ProbeContext): Promise<void>;
  /** Returns null when there is nothing to report. Must not throw for expected races. */
  collect(ctx: ProbeContext): Promise<ProbeResult | null>;
  /**
   * Optional: watch for conditions that warrant an early collect (e.g. a package transaction).
   * Calls `trigger` (which the agent debounces); returns a function that stops watching.
   */
  watch?(ctx: ProbeContext, trigger: () => void): () => void;
}
