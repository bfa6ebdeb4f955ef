// Read models for the API, the CLI and the status page, built from the store and live state.
// One file per view; this facade is what the API and the status page hold.
import type { Clock } from "../clock.js";
import type { AlertPolicy } from "../alerts/engine.js";
import type { JobRun } from "../store/job-repo.js";
import type { Store } from "../store/store.js";
import { alertsView, type AlertsView } from "./alerts.js";
import { hostDetail, hostView, type HostDetail, type HostView } from "./hosts.js";
import { ipHistory, ipView, type IpHistoryEntry, type IpView } from "./ip.js";
import { jobsView, type JobView } from "./jobs.js";
import type { LiveState } from "./live.js";

export type { AlertsView, HostDetail, HostView, IpHistoryEntry, IpView, JobRun, JobView, LiveState };

export class Queries {
  constructor(
    private readonly store: Store,
    private readonly live: LiveState,
    private readonly clock: Clock,
    private readonly policy: AlertPolicy,
  ) {}

  hosts(): HostView[] {
    const now = this.clock.now();
    return this.store.hosts.list().map((h) => hostView(this.store, this.live, h, now));
  }

  host(name: string): HostDetail {
    return hostDetail(this.store, this.live, this.policy, this.store.hosts.require(name), this.clock.now());
  }

  ip(name: string, family?: 4 | 6): IpView {
    return ipView(this.store, this.live, this.store.hosts.require(name), family);
  }

  ipHistory(name: string, family?: 4 | 6): IpHistoryEntry[] {
    return ipHistory(this.store, this.store.hosts.require(name), family);
  }

  jobs(host?: string): JobView[] {
    const h = host === undefined ? undefined : this.store.hosts.require(host);
    return jobsView(this.store, this.policy, this.clock.now(), h?.id);
  }

  /** The recent runs of one job, newest first. */
  jobRuns(host: string, job: string, limit: number): JobRun[] {
    return this.store.jobs.runs(this.store.hosts.require(host).id, job, limit);
  }

  /** Notifications in the outbox by channel and status. */
  deliveries(): { channel: string; status: string; count: number }[] {
    return this.store.notifications.countsByChannel();
  }

  alerts(opts: { limit?: number; host?: string } = {}): AlertsView {
    const h = opts.host === undefined ? undefined : this.store.hosts.require(opts.host);
    return alertsView(this.store, this.clock.now(), opts.limit ?? 50, h?.id);
  }
}
