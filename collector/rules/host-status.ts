// Host liveness as a pure function of what is stored and now.

export interface HostTimeoutInput {
  /** Per-host override (config [[hosts]] silent_after), ms. */
  override?: number;
  /** Collector-wide default ([alerts] silent_after), ms. */
  configured?: number;
  /** The agent's heartbeat interval from its Hello, ms. */
  heartbeatIntervalMs: number | null;
}

/** Default: 3 heartbeat intervals plus 30 s; a configured value or per-host override wins. */
export function hostTimeoutMs(i: HostTimeoutInput): number {
  if (i.override !== undefined) return i.override;
  if (i.configured !== undefined) return i.configured;
  const hb = i.heartbeatIntervalMs && i.heartbeatIntervalMs > 0 ? i.heartbeatIntervalMs : 30_000;
  return 3 * hb + 30_000;
}

export type Liveness = "never-seen" | "up" | "silent";

/** Whether the host is up at `now`, and when that would change without news. */
export function liveness(lastSeen: number | null, timeoutMs: number, now: number): { state: Liveness; deadline: number | null } {
  if (lastSeen === null) return { state: "never-seen", deadline: null };
  const deadline = lastSeen + timeoutMs;
  return now < deadline ? { state: "up", deadline } : { state: "silent", deadline: null };
}
