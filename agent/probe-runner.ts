// Runs probes: each on its interval, early when its watcher or a local command triggers it
// (debounced), and spools a result only when its fingerprint changed or the refresh interval
// passed. The last fingerprint sent is kept in <state>/probes/<name>.json across restarts.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { NewEvent } from "./outbox/outbox.js";
import type { Probe, ProbeContext } from "./probes/probe.js";

interface LastSent {
  fingerprint: string;
  sentAt: number;
}

interface Slot {
  probe: Probe;
  timer: NodeJS.Timeout | null;
  debounce: NodeJS.Timeout | null;
  running: Promise<void> | null;
  again: boolean;
  unwatch: (() => void) | null;
  last: LastSent | null;
}

export interface ProbeRunnerOptions {
  stateDir: string;
  log: Logger;
  append(e: NewEvent): Promise<number>;
  /** Quiet time after a trigger before collecting (a package transaction touches many files). */
  debounceMs?: number;
  clock?: () => number;
}

export class ProbeRunner {
  private readonly slots = new Map<string, Slot>();
  private readonly abort = new AbortController();
  private readonly ctx: ProbeContext;

  constructor(private readonly o: ProbeRunnerOptions) {
    this.ctx = { log: o.log, signal: this.abort.signal };
  }

  private get now(): number {
    return (this.o.clock ?? Date.now)();
  }

  async add(probe: Probe): Promise<void> {
    const slot: Slot = { probe, timer: null, debounce: null, running: null, again: false, unwatch: null, last: await this.readLast(probe.name) };
    this.slots.set(probe.name, slot);
    await probe.init?.(this.ctx);
    slot.unwatch = probe.watch?.(this.ctx, () => this.trigger(probe.name)) ?? null;
    slot.timer = setInterval(() => void this.collect(slot), probe.intervalMs);
    void this.collect(slot);
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  /** Asks for an early collect of one probe, debounced. */
  trigger(name: string, debounceMs = this.o.debounceMs ?? 5000): boolean {
    const slot = this.slots.get(name);
    if (!slot) return false;
    if (slot.debounce) clearTimeout(slot.debounce);
    slot.debounce = setTimeout(() => {
      slot.debounce = null;
      void this.collect(slot);
    }, debounceMs);
    return true;
  }

  /** Runs a probe now and resolves when its result (if any) is in the outbox. */
  async collectNow(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (slot) await this.collect(slot);
  }

  private collect(slot: Slot): Promise<void> {
    if (slot.running) {
      slot.again = true;
      return slot.running;
    }
    slot.running = this.collectOnce(slot).finally(() => {
      slot.running = null;
      if (slot.again && !this.abort.signal.aborted) {
        slot.again = false;
        void this.collect(slot);
      }
    });
    return slot.running;
  }

  private async collectOnce(slot: Slot): Promise<void> {
    const { probe } = slot;
    try {
      const result = await probe.collect(this.ctx);
      if (!result || this.abort.signal.aborted) return;
      const now = this.now;
      const unchanged = slot.last?.fingerprint === result.fingerprint && now - slot.last.sentAt < probe.refreshMs;
      if (unchanged) return;
      await this.o.append({ body: result.body });
      slot.last = { fingerprint: result.fingerprint, sentAt: now };
      await this.writeLast(probe.name, slot.last);
      this.o.log.debug({ probe: probe.name }, "probe result spooled");
    } catch (err) {
      this.o.log.error({ err, probe: probe.name }, "probe failed; will try again on its next interval");
    }
  }

  private async readLast(name: string): Promise<LastSent | null> {
    try {
      return JSON.parse(await readFile(join(this.o.stateDir, "probes", `${name}.json`), "utf8")) as LastSent;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || err instanceof SyntaxError) return null;
      throw err;
    }
  }

  private async writeLast(name: string, last: LastSent): Promise<void> {
    await mkdir(join(this.o.stateDir, "probes"), { recursive: true });
    await writeFile(join(this.o.stateDir, "probes", `${name}.json`), JSON.stringify(last) + "\n");
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const slot of this.slots.values()) {
      if (slot.timer) clearInterval(slot.timer);
      if (slot.debounce) clearTimeout(slot.debounce);
      slot.unwatch?.();
      await slot.running;
    }
  }
}
