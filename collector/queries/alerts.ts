// `lastseen alerts`: what is firing, recent flips, and where each notification stands.
import type { NotificationStatus } from "../store/notification-repo.js";
import type { Store } from "../store/store.js";
import { iso } from "./live.js";

export interface AlertsView {
  firing: { host: string | null; rule: string; key: string; since: string; notified: boolean; silenced: boolean }[];
  silences: { id: number; host: string; until: string; reason: string }[];
  flips: {
    id: number; at: string; host: string | null; rule: string; key: string; kind: string; subject: string; suppressed: string | null;
    notifications: { channel: string; status: NotificationStatus; attempts: number; lastError: string | null; deliveredAt: string | null; nextAttemptAt: string | null }[];
  }[];
  deliveries: Record<NotificationStatus, number>;
}

export function alertsView(store: Store, now: number, limit: number, hostId?: number): AlertsView {
  const names = new Map(store.hosts.list().map((h) => [h.id, h.name]));
  const silences = store.silences.active(now);
  const silenced = new Set(silences.filter((s) => s.startsAt <= now).map((s) => s.hostId));
  return {
    firing: store.alerts.firing().filter((a) => hostId === undefined || a.hostId === hostId).map((a) => ({
      host: a.hostId === null ? null : names.get(a.hostId) ?? null, rule: a.rule, key: a.key, since: iso(a.since)!, notified: a.notified,
      silenced: a.hostId !== null && silenced.has(a.hostId),
    })),
    silences: silences.filter((s) => hostId === undefined || s.hostId === hostId).map((s) => ({ id: s.id, host: s.host, until: iso(s.endsAt)!, reason: s.reason })),
    flips: store.alerts.recentFlips(limit, hostId).map((f) => ({
      id: f.id, at: iso(f.at)!, host: f.host, rule: f.rule, key: f.key, kind: f.kind, subject: f.subject, suppressed: f.suppressed,
      notifications: store.notifications.forFlip(f.id).map((n) => ({
        channel: n.channel, status: n.status, attempts: n.attempts, lastError: n.lastError, deliveredAt: iso(n.deliveredAt),
        nextAttemptAt: n.status === "pending" ? iso(n.nextAttemptAt) : null,
      })),
    })),
    deliveries: store.notifications.counts(),
  };
}
