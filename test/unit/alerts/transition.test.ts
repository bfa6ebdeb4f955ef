// The one state machine, as a table: (previous state, what the rule says now) -> action, whether
// people are told, the stored state and the next reminder.
import { describe, expect, it } from "vitest";
import type { AlertState } from "../../../collector/store/alert-repo.js";
import { transition, type CheckInput } from "../../../collector/alerts/transition.js";

const KEY = { hostId: 1, rule: "host.silent", key: "" };
const NOW = 1_000_000;
const REPEAT = 3_600_000;
const newId = () => "inc-new";

function input(o: Partial<CheckInput>): CheckInput {
  return { firing: false, held: false, silenced: false, repeatMs: REPEAT, details: { d: 1 }, ...o };
}

function state(o: Partial<AlertState>): AlertState {
  return { id: 7, ...KEY, status: "firing", since: NOW - 60_000, incidentId: "inc-old", notified: true, lastNotifiedAt: NOW - 60_000, details: {}, ...o };
}

const OK = state({ status: "ok", notified: false });
const FIRING = state({});
const FIRING_SILENCED = state({ notified: false, lastNotifiedAt: null });
const FIRING_REMINDER_DUE = state({ lastNotifiedAt: NOW - REPEAT });

describe("transition()", () => {
  // [name, prev, input, action, notify, stored status (or null: unchanged), nextCheckAt]
  const table: [string, AlertState | null, Partial<CheckInput>, string, boolean, string | null, number | null][] = [
    ["never judged, fine", null, {}, "none", false, null, null],
    ["never judged, firing", null, { firing: true }, "fire", true, "firing", NOW + REPEAT],
    ["never judged, firing, held (not judged yet)", null, { firing: true, held: true }, "none", false, null, null],
    ["never judged, firing, silenced: recorded, not told", null, { firing: true, silenced: true }, "fire", false, "firing", null],
    ["ok, still fine", OK, {}, "none", false, null, null],
    ["ok, firing now", OK, { firing: true }, "fire", true, "firing", NOW + REPEAT],
    ["ok, firing now, no reminders", OK, { firing: true, repeatMs: null }, "fire", true, "firing", null],
    ["ok, firing now but held (inhibited, or in the grace after a restart)", OK, { firing: true, held: true }, "none", false, null, null],
    ["firing, still firing, reminder not due", FIRING, { firing: true }, "none", false, null, FIRING.lastNotifiedAt! + REPEAT],
    ["firing, still firing, reminder due", FIRING_REMINDER_DUE, { firing: true }, "remind", true, "firing", NOW + REPEAT],
    ["firing, still firing, reminder due but silenced", FIRING_REMINDER_DUE, { firing: true, silenced: true }, "none", false, null, NOW],
    ["firing, still firing, reminders off", FIRING, { firing: true, repeatMs: null }, "none", false, null, null],
    ["firing, resolved: told (it was told)", FIRING, {}, "resolve", true, "ok", null],
    ["firing, resolved while silenced: still told (it was told)", FIRING, { silenced: true }, "resolve", true, "ok", null],
    ["firing, held: nothing changes, a held check is not resolved", FIRING, { held: true }, "none", false, null, FIRING.lastNotifiedAt! + REPEAT],
    ["fired in a silence, resolved: not told", FIRING_SILENCED, {}, "resolve", false, "ok", null],
    ["fired in a silence, still firing, silence over: told now", FIRING_SILENCED, { firing: true }, "fire", true, "firing", NOW + REPEAT],
    ["fired in a silence, still silenced: nothing", FIRING_SILENCED, { firing: true, silenced: true }, "none", false, null, null],
  ];

  it.each(table)("%s", (_name, prev, inp, action, notify, status, nextCheckAt) => {
    const t = transition(KEY, prev, input(inp), NOW, newId);
    expect(t.action).toBe(action);
    expect(t.notify).toBe(notify);
    expect(t.next?.status ?? null).toBe(status);
    expect(t.nextCheckAt).toBe(nextCheckAt);
  });

  it("a new incident gets a new id; its resolution and reminders keep it", () => {
    const fired = transition(KEY, OK, input({ firing: true }), NOW, newId);
    expect(fired.next).toMatchObject({ status: "firing", since: NOW, incidentId: "inc-new", notified: true, lastNotifiedAt: NOW, details: { d: 1 } });
    const reminded = transition(KEY, FIRING_REMINDER_DUE, input({ firing: true }), NOW, newId);
    expect(reminded.next).toMatchObject({ incidentId: "inc-old", since: FIRING_REMINDER_DUE.since, lastNotifiedAt: NOW });
    const resolved = transition(KEY, FIRING, input({}), NOW, newId);
    expect(resolved.next).toMatchObject({ status: "ok", since: NOW, incidentId: "inc-old", notified: false });
  });

  it("a silenced firing is stored as not notified, so its end is not told", () => {
    const t = transition(KEY, null, input({ firing: true, silenced: true }), NOW, newId);
    expect(t.next).toMatchObject({ status: "firing", notified: false, lastNotifiedAt: null });
    const end = transition(KEY, { id: 1, ...t.next! }, input({}), NOW + 1, newId);
    expect(end).toMatchObject({ action: "resolve", notify: false });
  });

  it("a firing told when its silence ended keeps its incident and since", () => {
    const t = transition(KEY, FIRING_SILENCED, input({ firing: true }), NOW, newId);
    expect(t.next).toMatchObject({ incidentId: "inc-old", since: FIRING_SILENCED.since, notified: true, lastNotifiedAt: NOW });
  });
});
