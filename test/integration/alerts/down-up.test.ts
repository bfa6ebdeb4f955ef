// A real agent is killed: exactly one DOWN arrives by email (and Matrix, and webhook) within the
// timeout plus 2 s, naming the host, its last-seen time and last address; the agent comes back:
// exactly one UP per channel, the mail threaded to the DOWN. Retries keep the Matrix txnId and
// the webhook delivery id, and every webhook signature verifies.
import { describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../helpers/webhook-receiver.js";
import {
  BOT, header, mailsFor, matrixEventsFor, ROOM, sleep, waitFor, webhooksFor, withAlertLab, WEBHOOK_SECRET, type AlertLab, type Peers,
} from "./alert-lab.js";

const TIMEOUT_MS = 3000;

describe("DOWN and UP on every channel", () => {
  let peers: Peers;
  let lab: AlertLab;
  withAlertLab("home", undefined, (p, l) => {
    peers = p;
    lab = l;
  });

  it("agent killed: one DOWN mail within timeout + 2 s; agent back: one UP mail threaded to it", async () => {
    await sleep(1500); // a few heartbeats
    const killedAt = await lab.killAgent("home");
    const down = await waitFor("the DOWN mail", () => mailsFor(peers.smtp, "home", "firing")[0], TIMEOUT_MS + 2000 + 500, 20);
    const downAt = Date.now();
    expect(downAt - killedAt).toBeLessThanOrEqual(TIMEOUT_MS + 2000 + 500);

    expect(down.parsed.subject).toMatch(/^DOWN home: silent since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(down.envelope.to).toEqual(["owner@example.org"]);
    const text = down.parsed.text ?? "";
    const lastSeen = /last seen: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/.exec(text)?.[1];
    expect(lastSeen).toBeDefined();
    // The last-seen time is the agent's last message: at most its timeout before the DOWN, and no later than its death.
    const seenMs = Date.parse(`${lastSeen!.replace(" ", "T")}Z`);
    expect(seenMs).toBeLessThanOrEqual(killedAt);
    expect(seenMs).toBeGreaterThan(killedAt - 3000);
    expect(text).toContain("last known address: 127.0.0.1");
    expect(down.parsed.html).toContain("last known address: 127.0.0.1");

    await sleep(1500);
    expect(mailsFor(peers.smtp, "home", "firing")).toHaveLength(1);
    const backAt = Date.now();
    await lab.startAgent("home");
    const up = await waitFor("the UP mail", () => mailsFor(peers.smtp, "home", "resolved")[0], 10_000, 20);
    expect(up.parsed.subject).toMatch(/^UP home: back after (\d+(\.\d)?)s, now at 127\.0\.0\.1$/);
    const goneS = Number(/back after (\d+(\.\d)?)s/.exec(up.parsed.subject!)![1]);
    // Gone from its last message to its return.
    expect(goneS * 1000).toBeGreaterThanOrEqual(backAt - killedAt - 1000);
    expect(goneS * 1000).toBeLessThanOrEqual(Date.now() - seenMs + 1000);
    expect(up.parsed.text).toContain("address: 127.0.0.1");
    expect(up.parsed.text).toMatch(/^home is back: it was silent for [\d.]+s \(last seen .* UTC, back .* UTC\)\.$/m);
    // Threaded: In-Reply-To and References name the DOWN's Message-ID.
    expect(down.parsed.messageId).toMatch(/^<incident-.+@example\.org>$/);
    expect(up.parsed.inReplyTo).toBe(down.parsed.messageId);
    expect(header(up, "references")).toContain(down.parsed.messageId);

    await sleep(1500);
    expect(mailsFor(peers.smtp, "home").map((m) => header(m, "x-lastseen-kind"))).toEqual(["firing", "resolved"]);
  }, 40_000);

  it("Matrix and webhook got the same two flips, once each, signed and authenticated", async () => {
    await waitFor("matrix and webhook flips", () => matrixEventsFor(peers.matrix, "home").length >= 2 && webhooksFor(peers.webhook, "home").length >= 2, 10_000);
    await sleep(500);
    const mails = mailsFor(peers.smtp, "home");
    const events = matrixEventsFor(peers.matrix, "home");
    expect(events.map((e) => (e.content["org.lastseen.alert"] as { kind: string }).kind)).toEqual(["firing", "resolved"]);
    for (const [i, e] of events.entries()) {
      expect(e).toMatchObject({ roomId: ROOM, sender: BOT, type: "m.room.message" });
      expect(e.content.body).toBe(`${mails[i]!.parsed.subject}\n\n${mails[i]!.parsed.text!.trimEnd()}`);
      expect(e.content.format).toBe("org.matrix.custom.html");
      expect(String(e.content.formatted_body)).toContain(`<strong>${mails[i]!.parsed.subject}</strong>`);
    }
    const puts = peers.matrix.requests.filter((r) => r.method === "PUT");
    expect(puts.length).toBe(2);
    for (const r of puts) expect(r.headers.authorization).toBe(`Bearer ${(await import("./alert-lab.js")).MATRIX_TOKEN}`);

    const hooks = webhooksFor(peers.webhook, "home");
    expect(hooks.map((r) => (r.json as { kind: string }).kind)).toEqual(["firing", "resolved"]);
    for (const [i, r] of hooks.entries()) {
      expect(verifyWebhookSignature(r, WEBHOOK_SECRET, Math.floor(Date.now() / 1000))).toEqual({ ok: true });
      expect(r.json).toMatchObject({ version: 1, host: "home", rule: "host.silent", subject: mails[i]!.parsed.subject });
    }
    const [downHook, upHook] = hooks.map((r) => r.json as { incidentId: string; flipId: string; facts: Record<string, string> });
    expect(upHook!.incidentId).toBe(downHook!.incidentId);
    expect(downHook!.facts).toMatchObject({ host: "home", address: "127.0.0.1", timeout_ms: "3000" });
    expect(upHook!.facts).toMatchObject({ address: "127.0.0.1" });
  });

  it("a lost Matrix response and a 503 from the webhook are retried: same txnId, same delivery id, one message each", async () => {
    peers.matrix.failNext({ endpoint: "send", dropAfterProcessing: true });
    peers.matrix.failNext({ endpoint: "send", status: 429, retryAfterMs: 300 });
    peers.webhook.respondNext({ status: 503, body: "busy" });
    const putsBefore = peers.matrix.requests.filter((r) => r.method === "PUT").length;
    const hooksBefore = peers.webhook.requests.length;
    const lastFlip = Math.max(0, ...(await lab.alerts()).flips.map((f) => f.id));
    await lab.killAgent("home", "SIGSTOP");
    // SIGSTOP: the process and its socket stay, it just says nothing more.
    const flip = await waitFor("the second DOWN delivered on every channel", async () => {
      const f = (await lab.alerts()).flips.find((x) => x.id > lastFlip && x.host === "home" && x.kind === "firing");
      return f && f.notifications.length === 3 && f.notifications.every((n) => n.status === "delivered") ? f : null;
    }, 30_000, 300);
    expect(mailsFor(peers.smtp, "home", "firing")).toHaveLength(2);
    const puts = peers.matrix.requests.filter((r) => r.method === "PUT").slice(putsBefore);
    // Attempt 1 stored the event but lost the answer; attempt 2 got 429; attempt 3 got the first event_id back.
    expect(puts.map((r) => r.status)).toEqual([0, 429, 200]);
    expect(new Set(puts.map((r) => r.rawPath)).size).toBe(1);
    expect(matrixEventsFor(peers.matrix, "home", "firing")).toHaveLength(2);
    const hooks = peers.webhook.requests.slice(hooksBefore);
    expect(hooks).toHaveLength(2);
    expect(hooks[0]!.headers["x-lastseen-delivery"]).toBe(hooks[1]!.headers["x-lastseen-delivery"]);
    for (const r of hooks) expect(verifyWebhookSignature(r, WEBHOOK_SECRET, Math.floor(Date.now() / 1000))).toEqual({ ok: true });
    // The outbox shows the attempts.
    const byChannel = Object.fromEntries(flip.notifications.map((n) => [n.channel, n]));
    expect(byChannel.email).toMatchObject({ status: "delivered", attempts: 1 });
    expect(byChannel.matrix).toMatchObject({ status: "delivered", attempts: 3 });
    expect(byChannel.webhook).toMatchObject({ status: "delivered", attempts: 2 });
  }, 45_000);
});
