// Webhook channel against an HTTP receiver on loopback that checks the signature independently.
import { parse as parseToml } from "smol-toml";
import { afterEach, describe, expect, it } from "vitest";
import { createNotifiers, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import { NotifyError } from "../../../collector/notify/notifier.js";
import type { Notifier } from "../../../collector/notify/notifier.js";
import { WebhookNotifier } from "../../../collector/notify/webhook.js";
import { hostSilentAlerts } from "../../helpers/sample-alerts.js";
import { startWebhookReceiver, verifyWebhookSignature } from "../../helpers/webhook-receiver.js";
import type { WebhookReceiver } from "../../helpers/webhook-receiver.js";

const SECRET = "whsec-0123456789abcdef";
const NOW = new Date("2026-11-27T03:00:00Z");
const NOW_S = NOW.getTime() / 1000;

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}

function channel(url: string, secret = SECRET): WebhookNotifier {
  return new WebhookNotifier({ name: "webhook", url, secret, timeoutMs: 5000, now: () => NOW });
}

async function rejection(p: Promise<unknown>): Promise<NotifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotifyError);
  return err as NotifyError;
}

describe("webhook channel", () => {
  it("POSTs the alert as signed JSON (config as in the issue, secret from secret_file)", async () => {
    const r = await receiver();
    const toml = `
[[notify.webhook]]
url = "${r.url}"
secret_file = "/etc/lastseen/webhook-secret"
`;
    const cfg = notifyConfigSchema.parse((parseToml(toml) as { notify: unknown }).notify);
    const [n] = createNotifiers(cfg, {
      now: () => NOW,
      secrets: { env: {}, readFile: (p) => (p === "/etc/lastseen/webhook-secret" ? `${SECRET}\n` : "") },
    }) as [Notifier];
    expect(n.name).toBe("webhook");
    const { down } = hostSilentAlerts();
    const receipt = await n.send(down, 1);
    expect(receipt.id).toBe("HTTP 200");

    const [req] = await r.waitForRequests(1);
    expect(req!.method).toBe("POST");
    expect(req!.path).toBe("/hook");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["x-lastseen-timestamp"]).toBe(String(NOW_S));
    expect(req!.headers["x-lastseen-delivery"]).toBe(down.flipId);
    expect(verifyWebhookSignature(req!, SECRET, NOW_S)).toEqual({ ok: true });
    expect(verifyWebhookSignature(req!, "another secret", NOW_S).ok).toBe(false);
    expect(verifyWebhookSignature({ ...req!, rawBody: req!.rawBody.replace("home", "h0me") }, SECRET, NOW_S).ok).toBe(false);
    expect(req!.json).toEqual({
      version: 1,
      kind: "firing",
      host: "home",
      rule: "host.silent",
      subject: down.subject,
      text: down.text,
      at: down.at.toISOString(),
      flipId: down.flipId,
      incidentId: down.incidentId,
      facts: down.facts,
    });
  });

  it("signs each attempt with its own timestamp and keeps the delivery id", async () => {
    const r = await receiver();
    let now = NOW;
    const n = new WebhookNotifier({ name: "webhook", url: r.url, secret: SECRET, timeoutMs: 5000, now: () => now });
    await n.send(hostSilentAlerts().down, 1);
    now = new Date(NOW.getTime() + 90_000);
    await n.send(hostSilentAlerts().down, 2);
    const [a, b] = await r.waitForRequests(2);
    expect(Number(b!.headers["x-lastseen-timestamp"]) - Number(a!.headers["x-lastseen-timestamp"])).toBe(90);
    expect(a!.headers["x-lastseen-delivery"]).toBe(b!.headers["x-lastseen-delivery"]);
    expect(verifyWebhookSignature(b!, SECRET, NOW_S + 90).ok).toBe(true);
    expect(a!.headers["x-lastseen-signature"]).not.toBe(b!.headers["x-lastseen-signature"]);
  });

  it("sends extra headers from the config, values from env and file", async () => {
    const r = await receiver();
    const cfg = notifyConfigSchema.parse({
      webhook: [
        {
          url: r.url,
          secret_env: "HOOK_SECRET",
          headers: { Authorization: { env: "HOOK_AUTH" }, "X-Tenant": "home", "X-Key": { file: "/k" } },
        },
      ],
    });
    const [n] = createNotifiers(cfg, { secrets: { env: { HOOK_SECRET: SECRET, HOOK_AUTH: "Bearer abc" }, readFile: () => "file-key\n" } });
    await n!.send(hostSilentAlerts().down, 1);
    const [req] = await r.waitForRequests(1);
    expect(req!.headers.authorization).toBe("Bearer abc");
    expect(req!.headers["x-tenant"]).toBe("home");
    expect(req!.headers["x-key"]).toBe("file-key");
    expect(verifyWebhookSignature(req!, SECRET, Date.now() / 1000).ok).toBe(true);
  });

  it("classifies responses: 503 and 429 retryable with Retry-After, 404 permanent, 204 delivered", async () => {
    const r = await receiver();
    const n = channel(r.url);
    const a = hostSilentAlerts().down;
    r.respondNext(
      { status: 503, headers: { "Retry-After": "30" }, body: "maintenance" },
      { status: 429, headers: { "Retry-After": new Date(NOW.getTime() + 5000).toUTCString() } },
      { status: 404, body: "no such hook" },
      { status: 204 },
    );
    const e1 = await rejection(n.send(a, 1));
    expect([e1.code, e1.retryable, e1.retryAfterMs]).toEqual(["LASTSEEN_ERR_NOTIFY_TRANSIENT", true, 30_000]);
    expect(e1.message).toContain("HTTP 503: maintenance");
    const e2 = await rejection(n.send(a, 2));
    expect([e2.code, e2.retryable, e2.retryAfterMs]).toEqual(["LASTSEEN_ERR_NOTIFY_RATE_LIMITED", true, 5000]);
    const e3 = await rejection(n.send(a, 3));
    expect([e3.code, e3.retryable]).toEqual(["LASTSEEN_ERR_NOTIFY_REJECTED", false]);
    expect(await n.send(a, 4)).toEqual({ id: "HTTP 204" });
    expect(new Set(r.requests.map((q) => q.headers["x-lastseen-delivery"])).size).toBe(1);
  });

  it("does not follow redirects and shows only the URL's origin in errors", async () => {
    const r = await receiver();
    r.respondNext({ status: 302, headers: { Location: "http://127.0.0.1:9/elsewhere" } });
    const url = `${r.url}/T0KEN-IN-PATH?key=T0KEN-IN-QUERY`;
    const err = await rejection(channel(url).send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_REJECTED");
    expect(err.message).toContain("HTTP 302");
    expect(err.message).not.toContain("T0KEN");
    expect(err.message).not.toContain(SECRET);
    expect(r.requests).toHaveLength(1);
  });

  it("reports a refused connection as retryable", async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    receivers.splice(0);
    const err = await rejection(channel(url).send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("ECONNREFUSED");
  });
});
