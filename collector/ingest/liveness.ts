// Last-seen times. Every message from an agent counts; updates are kept in memory and written in
// one transaction per second (at most a second of last-seen is lost on a crash; events never are).
import type { Logger } from "pino";
import type { Store } from "../store/store.js";

export class Liveness {
  private readonly lastSeen = new Map<number, number>();
  private readonly dirty = new Set<number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Store, private readonly log: Logger, private readonly flushMs = 1000) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), this.flushMs);
    this.timer.unref();
  }

  seen(hostId: number, at: number): void {
    if ((this.lastSeen.get(hostId) ?? 0) < at) this.lastSeen.set(hostId, at);
    this.dirty.add(hostId);
  }

  /** The newest last-seen time known, in memory or stored. */
  get(hostId: number, stored: number | null): number | null {
    const mem = this.lastSeen.get(hostId);
    if (mem === undefined) return stored;
    return stored === null ? mem : Math.max(mem, stored);
  }

  flush(): void {
    if (this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      this.store.transaction(() => {
        for (const id of ids) this.store.hosts.touch(id, this.lastSeen.get(id)!);
      });
    } catch (err) {
      for (const id of ids) this.dirty.add(id);
      this.log.error({ err }, "could not store last-seen times; will retry");
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }
}
