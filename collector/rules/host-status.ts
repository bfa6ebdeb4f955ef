// Host liveness as pure functions of what is stored and now.

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

export interface SilentInput {
  lastSeen: number | null;
  timeoutMs: number;
  /**
   * Judging may not begin before this (the collector's start plus one timeout, so every host gets
   * a full timeout to reconnect after a collector restart; or the end of a silence plus one
   * timeout). A host that was already alerted stays alerted regardless.
   */
  judgeFrom: number;
  /** Whether the host.silent alert is firing now. */
  firing: boolean;
}

export interface SilentVerdict {
  /** The host is past its deadline. */
  silent: boolean;
  /** Not judged yet: the state must not change now. */
  held: boolean;
  /** When the verdict can change without news, or null. */
  nextCheckAt: number | null;
}

export function silentVerdict(i: SilentInput, now: number): SilentVerdict {
  if (i.lastSeen === null) return { silent: false, held: !i.firing, nextCheckAt: null };
  const deadline = i.lastSeen + i.timeoutMs;
  if (now < deadline) return { silent: false, held: false, nextCheckAt: deadline };
  if (i.firing) return { silent: true, held: false, nextCheckAt: null };
  if (now < i.judgeFrom) return { silent: true, held: true, nextCheckAt: i.judgeFrom };
  return { silent: true, held: false, nextCheckAt: null };
}

export type HostState = "never-seen" | "up" | "silent" | "late" | "silenced";

/** What `lastseen hosts` shows. "late": past its deadline, not judged yet (collector grace). */
export function hostState(i: { lastSeen: number | null; timeoutMs: number; firing: boolean; silenced: boolean }, now: number): HostState {
  if (i.lastSeen === null) return "never-seen";
  if (now < i.lastSeen + i.timeoutMs) return "up";
  if (i.silenced) return "silenced";
  return i.firing ? "silent" : "late";
}
