// Read models for the API, the CLI and the status page, built from the store and live state.
import { CollectorError } from "./errors.js";
import type { HostRecord } from "./store/host-repo.js";
import type { AddressPeriod } from "./store/address-repo.js";
import type { Store } from "./store/store.js";

export interface HostView {
  name: string;
  state: string;
  lastSeen: string | null;
  address: string | null;
  addresses: { v4: string | null; v6: string | null };
  connected: boolean;
  hostname: string | null;
  agentVersion: string | null;
  os: string | null;
  kernel: string | null;
  heartbeatIntervalMs: number | null;
  timeoutMs: number;
  outbox: { pending: number; dropped: number };
  eventsReceived: number;
}

export interface IpView {
  host: string;
  address: string;
  family: 4 | 6;
  seenAt: string;
  source: string;
}

export interface IpHistoryEntry {
  address: string;
  family: 4 | 6;
  firstSeen: string;
  lastSeen: string;
  sources: string[];
}

/** What the read models need from the running collector beyond the store. */
export interface LiveState {
  lastSeen(host: HostRecord): number | null;
  connected(hostId: number): boolean;
  /** "up", "silent", "never-seen", ... */
  state(host: HostRecord): string;
  timeoutMs(host: HostRecord): number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class Queries {
  constructor(private readonly store: Store, private readonly live: LiveState) {}

  hosts(): HostView[] {
    return this.store.hosts.list().map((h) => this.hostView(h));
  }

  host(name: string): HostView {
    return this.hostView(this.store.hosts.require(name));
  }

  private hostView(h: HostRecord): HostView {
    const current = this.store.addresses.current(h.id);
    const v4 = current.find((a) => a.family === 4)?.address ?? null;
    const v6 = current.find((a) => a.family === 6)?.address ?? null;
    return {
      name: h.name,
      state: this.live.state(h),
      lastSeen: iso(this.live.lastSeen(h)),
      address: v4 ?? v6 ?? h.lastAddress,
      addresses: { v4, v6 },
      connected: this.live.connected(h.id),
      hostname: h.hostname,
      agentVersion: h.agentVersion,
      os: h.os,
      kernel: h.kernelRelease,
      heartbeatIntervalMs: h.heartbeatIntervalMs,
      timeoutMs: this.live.timeoutMs(h),
      outbox: { pending: h.outboxPending, dropped: h.outboxDropped },
      eventsReceived: h.eventsReceived,
    };
  }

  /** The current address: IPv4 first unless a family is asked for. */
  ip(name: string, family?: 4 | 6): IpView {
    const h = this.store.hosts.require(name);
    const current = this.store.addresses.current(h.id).filter((a) => family === undefined || a.family === family);
    const a: AddressPeriod | undefined = current[0];
    if (!a) {
      throw new CollectorError("LASTSEEN_ERR_NOT_FOUND", `no ${family ? `IPv${family} ` : ""}address known for host "${name}" yet`);
    }
    const live = this.live.connected(h.id) ? this.live.lastSeen(h) : null;
    return { host: h.name, address: a.address, family: a.family, seenAt: iso(Math.max(a.lastSeen, live ?? 0))!, source: a.lastSource };
  }

  ipHistory(name: string, family?: 4 | 6): IpHistoryEntry[] {
    const h = this.store.hosts.require(name);
    return this.store.addresses.history(h.id)
      .filter((a) => family === undefined || a.family === family)
      .map((a) => ({ address: a.address, family: a.family, firstSeen: iso(a.firstSeen)!, lastSeen: iso(a.lastSeen)!, sources: a.sources }));
  }
}
