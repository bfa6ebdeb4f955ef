// `lastseen notify test [--channel NAME]`: the test alert through real channels, reported per
// channel (a failing channel does not stop the others).
import { afterEach, describe, expect, it } from "vitest";
import { createNotifiers, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import { NotifyError } from "../../../collector/notify/notifier.js";
import { buildTestAlert, runNotifyTest } from "../../../collector/notify/test-message.js";
import { startMatrixHomeserver } from "../../helpers/matrix-homeserver.js";
import type { MatrixHomeserver } from "../../helpers/matrix-homeserver.js";
import { startSmtpSink } from "../../helpers/smtp-sink.js";
import type { SmtpSink } from "../../helpers/smtp-sink.js";
import { startWebhookReceiver, verifyWebhookSignature } from "../../helpers/webhook-receiver.js";
import type { WebhookReceiver } from "../../helpers/webhook-receiver.js";

const NOW = new Date("2026-11-27T03:00:00Z");
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function peers(): Promise<{ smtp: SmtpSink; hs: MatrixHomeserver; hook: WebhookReceiver }> {
  const smtp = await startSmtpSink();
  const hs = await startMatrixHomeserver({ users: { tok: "@bot:example.org" }, rooms: [{ roomId: "!r:example.org", aliases: ["#alerts:example.org"] }] });
  const hook = await startWebhookReceiver();
  closers.push(smtp.close, hs.close, hook.close);
  return { smtp, hs, hook };
}

describe("notify test", () => {
  it("builds a test alert that is a new message each time", () => {
    const a = buildTestAlert({ now: NOW, collector: "vps1" });
    const b = buildTestAlert({ now: NOW, collector: "vps1" });
    expect(a).toMatchObject({ kind: "test", host: "", rule: "notify.test", subject: "lastseen test notification", at: NOW, facts: { test: "true", collector: "vps1" } });
    expect(a.text).toContain("vps1");
    expect(a.text).toContain("2026-11-27T03:00:00Z");
    expect(a.flipId).not.toBe(b.flipId);
    expect(buildTestAlert({ now: NOW, nonce: "x" }).flipId).toBe(`test-${NOW.getTime()}-x`);
  });

  it("sends to every channel and reports each, including the one that fails", async () => {
    const { smtp, hs, hook } = await peers();
    const cfg = notifyConfigSchema.parse({
      email: [{ smtp: smtp.url, from: "lastseen@example.org", to: ["owner@example.org"] }],
      matrix: [{ homeserver: hs.url, access_token_env: "MATRIX_TOKEN", room: "#alerts:example.org" }],
      webhook: [{ url: hook.url, secret_env: "HOOK_SECRET" }],
      exec: [{ name: "broken", command: [process.execPath, "-e", "console.error('gateway said no'); process.exit(2)"] }],
    });
    const notifiers = createNotifiers(cfg, { now: () => NOW, secrets: { env: { MATRIX_TOKEN: "tok", HOOK_SECRET: "s" }, readFile: () => "" } });
    const alert = buildTestAlert({ now: NOW, collector: "vps1" });
    const results = await runNotifyTest(notifiers, alert);
    for (const n of notifiers) await n.close?.();

    expect(results.map((r) => [r.channel, r.ok])).toEqual([
      ["email", true],
      ["matrix", false],
      ["webhook", true],
      ["broken", false],
    ]);
    const [email, matrix, webhook, broken] = results;
    expect(email!.id).toBe(`<flip-${alert.flipId}@example.org>`);
    expect((await smtp.waitForMails(1))[0]!.parsed.subject).toBe("lastseen test notification");
    expect(matrix!.error).toMatchObject({ code: "LASTSEEN_ERR_NOTIFY_CONFIG", retryable: false });
    expect(matrix!.error!.message).toContain("the bot @bot:example.org was not invited");
    expect(webhook!.id).toBe("HTTP 200");
    expect(verifyWebhookSignature(hook.requests[0]!, "s", NOW.getTime() / 1000).ok).toBe(true);
    expect((hook.requests[0]!.json as { kind: string }).kind).toBe("test");
    expect(broken!.error).toMatchObject({ code: "LASTSEEN_ERR_NOTIFY_TRANSIENT", retryable: true });
    expect(broken!.error!.message).toContain("gateway said no");
  });

  it("sends only to --channel NAME, and names the configured channels for an unknown one", async () => {
    const { hook } = await peers();
    const cfg = notifyConfigSchema.parse({
      webhook: [
        { url: hook.url, secret: "a" },
        { url: hook.url, secret: "b", name: "second" },
      ],
    });
    const notifiers = createNotifiers(cfg);
    const results = await runNotifyTest(notifiers, buildTestAlert({ now: NOW }), "second");
    expect(results.map((r) => r.channel)).toEqual(["second"]);
    expect(hook.requests).toHaveLength(1);

    const err = await runNotifyTest(notifiers, buildTestAlert({ now: NOW }), "nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyError);
    expect((err as NotifyError).message).toBe('no channel named "nope" (configured: webhook, second)');
    const none = await runNotifyTest([], buildTestAlert({ now: NOW })).catch((e: unknown) => e);
    expect((none as NotifyError).code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
  });
});
