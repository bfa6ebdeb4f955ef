// The IP on-change hook: when a host's current address changes, run its configured `command`
// and/or call its `url` with the new address, so the collector can update DNS itself.
//
// Durable: the run is requested in the transaction that changed the address (table ip_hooks) and
// run after the commit; a failed run is retried with backoff (rules/ip-hook.ts), across restarts. The
// latest address wins: a newer change supersedes an older pending or failing run, and runs of one
// host and family never overlap (an older run still going finishes first, then the newer one runs,
// so a slow update cannot overwrite a newer one). The outcome feeds the ip.hook-failed check of the
// alert engine (`onOutcome`).
//
// At start, every host with a hook whose current address differs from the hook's latest address
// (a hook added to the config, or a host never run for) gets a run; hook state of hosts that no
// longer have a hook is dropped, which resolves their alert.
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { CollectorConfig } from "../config.js";
import { INHERITED_ENV } from "../notify/exec.js";
import { IP_HOOK_RETRY_MS, ipHookRetryAt } from "../rules/ip-hook.js";
import type { Store } from "../store/store.js";
import { IpHookError } from "./errors.js";
import { runHookCommand } from "./hook-command.js";
import { IpHookStore, type IpHookState } from "./hook-store.js";
import { postHookUrl } from "./hook-url.js";

export interface IpHookConfig {
  /** argv, no shell. */
  readonly command?: readonly string[];
  /** POSTed {host, address, family, previous, at} as JSON. */
  readonly url?: string;
  /** Per run (command and url each). */
  readonly timeoutMs: number;
}

export interface HookRunnerOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Hook per host name (hosts without one are not run for). */
  hooks: ReadonlyMap<string, IpHookConfig>;
  /** Waits before the retries (default IP_HOOK_RETRY_MS). */
  retryMs?: readonly number[];
  /** Time between SIGTERM and SIGKILL when a command times out. */
  killGraceMs?: number;
  /** The collector's environment; only INHERITED_ENV is passed on from it. */
  parentEnv?: NodeJS.ProcessEnv;
  /** A run ended (or hook state was dropped): the host's ip.hook-failed check should be judged. */
  onOutcome?(hostId: number): void;
}

/** The [[hosts]] on_ip_change tables of the config, by host name. */
export function hookConfigs(hosts: CollectorConfig["hosts"]): Map<string, IpHookConfig> {
  const out = new Map<string, IpHookConfig>();
  for (const h of hosts) {
    if (h.on_ip_change) out.set(h.name, { command: h.on_ip_change.command, url: h.on_ip_change.url, timeoutMs: h.on_ip_change.timeout });
  }
  return out;
}

/** The environment of one command run, without the inherited variables. */
export function hookEnv(h: { host: string; family: 4 | 6; address: string; previous: string; changedAt: number; attempt: number }): Record<string, string> {
  return {
    LASTSEEN_HOST: h.host,
    LASTSEEN_ADDRESS: h.address,
    LASTSEEN_FAMILY: String(h.family),
    LASTSEEN_PREVIOUS_ADDRESS: h.previous,
    LASTSEEN_CHANGED_AT: new Date(h.changedAt).toISOString(),
    LASTSEEN_ATTEMPT: String(h.attempt),
  };
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class HookRunner {
  readonly repo: IpHookStore;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private kickQueued = false;
  private started = false;
  private stopped = false;
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(private readonly o: HookRunnerOptions) {
    this.repo = new IpHookStore(o.store.db);
  }

  /** Whether the host has a hook configured. */
  configured(hostName: string): boolean {
    return this.o.hooks.has(hostName);
  }

  /**
   * The host's current address of `family` changed (previous null: the first one known). Stores the
   * run inside the caller's transaction; it starts after the commit.
   */
  request(hostId: number, hostName: string, family: 4 | 6, address: string, previous: string | null, at: number): void {
    if (!this.o.hooks.has(hostName)) return;
    this.repo.request(hostId, family, address, previous ?? "", at);
    this.kick();
  }

  /** Hook state of a host, per family (for the alert engine and queries). */
  states(hostId: number): IpHookState[] {
    return this.repo.forHost(hostId);
  }

  /** Reconciles the stored state with the config, then runs what is due. Before engine.start(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { store, clock, log } = this.o;
    const now = clock.now();
    store.transaction(() => {
      for (const hostId of this.repo.hostIds()) {
        const host = store.hosts.getById(hostId);
        if (host && this.o.hooks.has(host.name)) continue;
        this.repo.remove(hostId);
        log.info({ host: host?.name, hostId }, "on_ip_change is no longer configured: hook state dropped");
      }
      for (const name of this.o.hooks.keys()) {
        const host = store.hosts.get(name);
        if (!host) continue;
        for (const p of store.addresses.current(host.id)) {
          const row = this.repo.get(host.id, p.family);
          if (row && row.address === p.address) continue;
          this.repo.request(host.id, p.family, p.address, store.addresses.previous(host.id, p.family) ?? "", now);
        }
      }
    });
    this.pass();
  }

  /** Looks for due runs soon (after the current transaction). */
  private kick(): void {
    if (!this.started || this.stopped || this.kickQueued) return;
    this.kickQueued = true;
    setImmediate(() => {
      this.kickQueued = false;
      this.pass();
    });
  }

  private pass(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let waiting: ReturnType<IpHookStore["waiting"]>;
    try {
      waiting = this.repo.waiting().filter((w) => !this.inFlight.has(keyOf(w.hostId, w.family)));
    } catch (err) {
      this.o.log.error({ err }, "cannot read the IP hook state; trying again in 30 s");
      this.arm(this.o.clock.now() + 30_000);
      return;
    }
    const now = this.o.clock.now();
    for (const w of waiting) {
      if (w.nextAttemptAt <= now) this.startRun(w.hostId, w.family);
    }
    const later = waiting.find((w) => w.nextAttemptAt > now);
    if (later) this.arm(later.nextAttemptAt);
  }

  /** Wakes up at `at` at the latest. */
  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.min(Math.max(0, at - this.o.clock.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pass();
    }, delay);
    this.timer.unref();
  }

  private startRun(hostId: number, family: 4 | 6): void {
    const key = keyOf(hostId, family);
    const abort = new AbortController();
    const done = this.run(hostId, family, abort.signal).then(() => true, (err: unknown) => {
      // The store failed before or after the run: the run stays due; try again in 30 s.
      this.o.log.error({ err, hostId, family }, "on_ip_change run could not be prepared or recorded; trying again in 30 s");
      return false;
    }).then((ok) => {
      this.inFlight.delete(key);
      if (this.stopped) return;
      this.o.onOutcome?.(hostId);
      if (ok) this.kick();
      else this.arm(this.o.clock.now() + 30_000);
    });
    this.inFlight.set(key, { abort, done });
  }

  private async run(hostId: number, family: 4 | 6, signal: AbortSignal): Promise<void> {
    const { store, clock, log } = this.o;
    const row = this.repo.get(hostId, family);
    if (!row || (row.status !== "pending" && row.status !== "failed")) return;
    const host = store.hosts.getById(hostId);
    const config = host ? this.o.hooks.get(host.name) : undefined;
    if (!host || !config) {
      this.repo.remove(hostId);
      return;
    }
    const attempt = row.attempts + 1;
    const label = `host ${host.name}, IPv${family} ${row.address}`;
    const fields = { host: host.name, family, address: row.address, previous: row.previous || undefined, attempt };
    try {
      await this.runHook(config, host.name, row, attempt, label, signal);
    } catch (err) {
      if (this.stopped) {
        log.info({ ...fields }, "on_ip_change run stopped with the collector; it runs again at the next start");
        return;
      }
      const message = err instanceof IpHookError ? `${err.code}: ${err.message}` : `LASTSEEN_ERR_IP_HOOK_FAILED: ${(err as Error).message}`;
      const now = clock.now();
      const retryAt = ipHookRetryAt(attempt, now, this.o.retryMs ?? IP_HOOK_RETRY_MS);
      this.record(() => {
        const current = this.repo.failed(hostId, family, row.generation, message, now, retryAt);
        if (current) log.error({ ...fields, err: message, retryAt: new Date(retryAt).toISOString() }, "on_ip_change hook failed; retrying later");
        else log.warn({ ...fields, err: message }, "on_ip_change hook failed for an address that is no longer current");
      });
      return;
    }
    if (this.stopped) return;
    this.record(() => {
      const current = this.repo.succeeded(hostId, family, row.generation, clock.now());
      log.info({ ...fields, superseded: !current || undefined }, "on_ip_change hook succeeded");
    });
  }

  private async runHook(config: IpHookConfig, hostName: string, row: IpHookState, attempt: number, label: string, signal: AbortSignal): Promise<void> {
    if (config.command) {
      const parent = this.o.parentEnv ?? process.env;
      const env: Record<string, string> = {};
      for (const k of INHERITED_ENV) {
        const v = parent[k];
        if (v !== undefined) env[k] = v;
      }
      Object.assign(env, hookEnv({ host: hostName, family: row.family, address: row.address, previous: row.previous, changedAt: row.changedAt, attempt }));
      await runHookCommand({ command: config.command, env, timeoutMs: config.timeoutMs, killGraceMs: this.o.killGraceMs, signal, label });
    }
    if (config.url) {
      await postHookUrl({
        url: config.url, timeoutMs: config.timeoutMs, signal, label,
        payload: { host: hostName, address: row.address, family: row.family, previous: row.previous || null, at: new Date(row.changedAt).toISOString() },
      });
    }
  }

  private record(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // The run happened but its outcome is not stored: it stays due and runs again.
      this.o.log.error({ err }, "cannot store the outcome of an on_ip_change run; it will run again");
    }
  }

  /** Stops timers and kills running hooks (they run again at the next start). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const running = [...this.inFlight.values()];
    for (const r of running) r.abort.abort();
    await Promise.all(running.map((r) => r.done));
  }
}

function keyOf(hostId: number, family: number): string {
  return `${hostId}/${family}`;
}
