// Silences through the CLI (`lastseen silence HOST --for 2h --reason ...`, `silence list`,
// `silence remove ID`): a silenced host going silent gets no DOWN; after the removal its timer
// restarts, so a DOWN comes only after a full timeout. And `lastseen notify test [--channel NAME]`
// against the real SMTP server, Matrix homeserver and webhook receiver.
import { describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../helpers/webhook-receiver.js";
import { header, mailsFor, ROOM, sleep, waitFor, WEBHOOK_SECRET, withAlertLab, type AlertLab, type Peers } from "./alert-lab.js";

const TIMEOUT_MS = 3000;

interface SilenceView { id: number; host: string; until: string; reason: string }

describe("silences via the CLI and `lastseen notify test`", () => {
  let peers: Peers;
  let lab: AlertLab;
  withAlertLab("maint", undefined, (p, l) => {
    peers = p;
    lab = l;
  });

  it("`silence HOST --for 2h --reason ...` (no \"add\"), `silence list`: a silenced host going silent gets no DOWN", async () => {
    const before = Date.now();
    const r = await lab.cli(["silence", "maint", "--for", "2h", "--reason", "kernel upgrade"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const m = /^silenced maint until (\S+) \(id (\d+); lastseen silence remove \2 ends it\)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const until = Date.parse(m![1]!);
    expect(until).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000);

    const list = await lab.cliJson<SilenceView[]>(["silence", "list"]);
    expect(list).toEqual([{ id: Number(m![2]), host: "maint", until: m![1], reason: "kernel upgrade" }]);
    const text = await lab.cli(["silence", "list"]);
    expect(text.stdout).toMatch(new RegExp(`^ID +HOST +UNTIL +REASON\\n${m![2]} +maint +${m![1]!.replace(/\./g, "\\.")} +kernel upgrade`, "m"));

    await lab.killAgent("maint");
    await sleep(TIMEOUT_MS + 3000);
    expect(mailsFor(peers.smtp, "maint")).toEqual([]);
    expect(peers.webhook.requests).toEqual([]);
    const v = await lab.alerts();
    expect(v.firing).toEqual([expect.objectContaining({ host: "maint", rule: "host.silent", notified: false, silenced: true })]);
    expect(v.flips).toEqual([expect.objectContaining({ host: "maint", kind: "firing", suppressed: "silenced", notifications: [] })]);
    expect((await lab.cli(["alerts"])).stdout).toMatch(/DOWN maint: .*not sent: silenced/);
  }, 30_000);

  it("`silence remove ID`: the host's timer restarts, so its DOWN comes only after a full timeout", async () => {
    const [s] = await lab.cliJson<SilenceView[]>(["silence", "list"]);
    const removedAt = Date.now();
    const r = await lab.cli(["silence", "remove", String(s!.id)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`silence ${s!.id} removed; the host's timers restart now\n`);
    expect(await lab.cliJson<SilenceView[]>(["silence", "list"])).toEqual([]);
    expect((await lab.cli(["silence", "list"])).stdout).toBe("no active silences\n");

    const down = await waitFor("the DOWN after a full timeout", () => mailsFor(peers.smtp, "maint", "firing")[0], 10_000, 20);
    expect(down.parsed.subject).toMatch(/^DOWN maint: silent since/);
    const flip = (await lab.alerts()).flips.find((f) => f.host === "maint" && f.kind === "firing" && !f.suppressed)!;
    expect(Date.parse(flip.at)).toBeGreaterThanOrEqual(removedAt + TIMEOUT_MS);
    // Removing it again is an error that says what to do.
    const again = await lab.cli(["silence", "remove", String(s!.id)]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`no active silence with id ${s!.id}`);
    // The explicit form still works, and a bad duration is refused.
    expect((await lab.cli(["silence", "add", "maint", "--for", "30m"])).code).toBe(0);
    const bad = await lab.cli(["silence", "maint", "--for", "soon"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--for must be a duration");
    const unknown = await lab.cli(["silence", "nosuchhost", "--for", "1h"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown host \"nosuchhost\"");
  }, 30_000);

  it("`notify test` sends one test message to each channel and reports", async () => {
    const mailsBefore = peers.smtp.mails.length;
    const eventsBefore = peers.matrix.events.length;
    const hooksBefore = peers.webhook.requests.length;
    const results = (await lab.cliJson<{ channel: string; type: string; ok: boolean; id?: string }[]>(["notify", "test"]));
    expect(results.map((x) => [x.channel, x.type, x.ok])).toEqual([["email", "email", true], ["matrix", "matrix", true], ["webhook", "webhook", true]]);
    const [mail] = peers.smtp.mails.slice(mailsBefore);
    expect(peers.smtp.mails.length - mailsBefore).toBe(1);
    expect(mail!.parsed.subject).toBe("lastseen test notification");
    expect(header(mail!, "x-lastseen-kind")).toBe("test");
    expect(results[0]!.id).toBe(mail!.parsed.messageId);
    const events = peers.matrix.events.slice(eventsBefore);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ roomId: ROOM, type: "m.room.message" });
    expect(String(events[0]!.content.body)).toMatch(/^lastseen test notification\n\nThis is a test notification/);
    expect(results[1]!.id).toBe(events[0]!.eventId);
    const hooks = peers.webhook.requests.slice(hooksBefore);
    expect(hooks).toHaveLength(1);
    expect(verifyWebhookSignature(hooks[0]!, WEBHOOK_SECRET, Math.floor(Date.now() / 1000))).toEqual({ ok: true });
    expect(hooks[0]!.json).toMatchObject({ kind: "test", rule: "notify.test", subject: "lastseen test notification" });

    const table = await lab.cli(["notify", "test"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CHANNEL +TYPE +RESULT +TIME$/m);
    expect(table.stdout).toMatch(/^matrix +matrix +sent \(\$\S+\)/m);
  });

  it("`notify test --channel NAME` sends through that channel only; a failing channel exits 1 and says why", async () => {
    const mailsBefore = peers.smtp.mails.length;
    const eventsBefore = peers.matrix.events.length;
    const hooksBefore = peers.webhook.requests.length;
    const only = (await lab.cliJson<{ channel: string; ok: boolean }[]>(["notify", "test", "--channel", "matrix"]));
    expect(only).toEqual([expect.objectContaining({ channel: "matrix", ok: true })]);
    expect(peers.matrix.events.length - eventsBefore).toBe(1);
    expect(peers.smtp.mails.length).toBe(mailsBefore);
    expect(peers.webhook.requests.length).toBe(hooksBefore);

    peers.webhook.respondNext({ status: 500, body: "boom" });
    const failed = await lab.cli(["notify", "test", "--channel", "webhook"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^webhook +webhook +FAILED: webhook channel "webhook": POST http:\/\/127\.0\.0\.1:\d+ answered HTTP 500: boom/m);

    const unknown = await lab.cli(["notify", "test", "--channel", "pager"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no channel named \"pager\" (configured: email, matrix, webhook)");
  });
});
