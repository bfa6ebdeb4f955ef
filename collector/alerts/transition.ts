// The one state machine every check goes through: ok -> firing -> ok, with reminders while firing.
// Pure: (previous state, what the rule says now) -> next state and what to tell people.
import { randomUUID } from "node:crypto";
import type { AlertState } from "../store/alert-repo.js";

export interface CheckInput {
  /** The rule's condition holds now. */
  firing: boolean;
  /** The check may not change now (not judged yet, or inhibited while its host is silent). */
  held: boolean;
  /** A silence covers the host: nothing new is notified (a resolution of something notified is). */
  silenced: boolean;
  /** Reminder interval while firing; null for none. */
  repeatMs: number | null;
  details: Record<string, unknown>;
}

export type Action = "none" | "fire" | "resolve" | "remind";

export interface Transition {
  action: Action;
  /** Whether the action is told to people (false: recorded only, e.g. silenced). */
  notify: boolean;
  /** The state to store, or null when it is unchanged. */
  next: Omit<AlertState, "id"> | null;
  /** When a reminder falls due, or null. */
  nextCheckAt: number | null;
}

type Key = Pick<AlertState, "hostId" | "rule" | "key">;

export function transition(key: Key, prev: AlertState | null, input: CheckInput, now: number, newId: () => string = randomUUID): Transition {
  const firingNow = prev?.status === "firing";
  if (input.held) return { action: "none", notify: false, next: null, nextCheckAt: reminderAt(prev, input) };
  if (!firingNow && input.firing) {
    const notify = !input.silenced;
    const next = { ...key, status: "firing" as const, since: now, incidentId: newId(), notified: notify, lastNotifiedAt: notify ? now : null, details: input.details };
    return { action: "fire", notify, next, nextCheckAt: notify && input.repeatMs ? now + input.repeatMs : null };
  }
  if (firingNow && !input.firing) {
    const next = { ...key, status: "ok" as const, since: now, incidentId: prev.incidentId, notified: false, lastNotifiedAt: prev.lastNotifiedAt, details: input.details };
    // Always a resolved message for anything that alerted.
    return { action: "resolve", notify: prev.notified, next, nextCheckAt: null };
  }
  if (firingNow && input.firing && !input.silenced) {
    if (!prev.notified) {
      // It fired during a silence that has ended: tell now.
      const next = { ...prev, notified: true, lastNotifiedAt: now, details: input.details };
      return { action: "fire", notify: true, next, nextCheckAt: input.repeatMs ? now + input.repeatMs : null };
    }
    if (input.repeatMs && prev.lastNotifiedAt !== null && now >= prev.lastNotifiedAt + input.repeatMs) {
      const next = { ...prev, lastNotifiedAt: now, details: input.details };
      return { action: "remind", notify: true, next, nextCheckAt: now + input.repeatMs };
    }
  }
  return { action: "none", notify: false, next: null, nextCheckAt: reminderAt(prev, input) };
}

function reminderAt(prev: AlertState | null, input: CheckInput): number | null {
  if (prev?.status !== "firing" || !prev.notified || !input.repeatMs || prev.lastNotifiedAt === null) return null;
  return prev.lastNotifiedAt + input.repeatMs;
}
