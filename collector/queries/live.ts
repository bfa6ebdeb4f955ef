import type { HostRecord } from "../store/host-repo.js";

/** What the read models need from the running collector beyond the store. */
export interface LiveState {
  lastSeen(host: HostRecord): number | null;
  connected(hostId: number): boolean;
  /** "up", "silent", "late", "silenced", "never-seen". */
  state(host: HostRecord): string;
  timeoutMs(host: HostRecord): number;
}

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
