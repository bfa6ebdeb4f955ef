// docs/notifications.md stays true: every TOML example validates against the schema, and the
// Node.js signature verifier it shows accepts a real signed request (and refuses a tampered one).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse as parseToml } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { createNotifiers, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import type { ExecChannelConfig } from "../../../collector/notify/channel-config.js";
import { ExecNotifier } from "../../../collector/notify/exec.js";
import { WebhookNotifier } from "../../../collector/notify/webhook.js";
import { hostSilentAlerts } from "../../helpers/sample-alerts.js";
import { startWebhookReceiver } from "../../helpers/webhook-receiver.js";
import { missing } from "../../helpers/requirement.js";

const doc = readFileSync(new URL("../../../docs/notifications.md", import.meta.url), "utf8");
const blocks = (lang: string): string[] => [...doc.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
const dir = mkdtempSync(join(tmpdir(), "lastseen-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("docs/notifications.md", () => {
  it("has TOML examples that the schema accepts and that build channels", () => {
    const tomls = blocks("toml");
    expect(tomls.length).toBeGreaterThanOrEqual(5);
    for (const t of tomls) {
      const parsed = parseToml(t) as { notify: unknown };
      const cfg = notifyConfigSchema.parse(parsed.notify);
      const notifiers = createNotifiers(cfg, { secrets: { env: new Proxy({}, { get: () => "value" }), readFile: () => "value" } });
      expect(notifiers.length).toBeGreaterThan(0);
    }
  });

  it("shows a Node.js verifier that accepts lastseen's signature and refuses a tampered body", async () => {
    const [js] = blocks("js");
    const file = join(dir, "verify.mjs");
    writeFileSync(file, js!);
    const { verifyLastseen } = (await import(pathToFileURL(file).href)) as {
      verifyLastseen: (raw: string, headers: Record<string, unknown>, secret: string) => boolean;
    };
    const r = await startWebhookReceiver();
    try {
      await new WebhookNotifier({ name: "webhook", url: r.url, secret: "doc-secret", timeoutMs: 5000 }).send(hostSilentAlerts().down, 1);
      const [req] = await r.waitForRequests(1);
      expect(verifyLastseen(req!.rawBody, req!.headers, "doc-secret")).toBe(true);
      expect(verifyLastseen(req!.rawBody, req!.headers, "other")).toBe(false);
      expect(verifyLastseen(`${req!.rawBody} `, req!.headers, "doc-secret")).toBe(false);
    } finally {
      await r.close();
    }
  });

  it.skipIf(missing(existsSync("/usr/bin/curl"), "curl"))("has an ntfy example that posts title and text safely (run against a loopback receiver)", async () => {
    const ntfy = blocks("toml").find((t) => t.includes('name = "ntfy"'))!;
    const c = (notifyConfigSchema.parse((parseToml(ntfy) as { notify: unknown }).notify).exec[0] as ExecChannelConfig);
    const r = await startWebhookReceiver();
    try {
      const base = r.url.replace(/\/hook$/, "");
      const command = c.command.map((a) => a.replace("https://ntfy.example.org", base));
      const n = new ExecNotifier({ name: "ntfy", command, timeoutMs: 20_000, env: { NTFY_TOPIC: "home-alerts", NTFY_TOKEN: "tk_doc" } });
      const alert = { ...hostSilentAlerts().down, subject: `DOWN "home": it's $(id)`, text: "line 1\n`touch /tmp/x`; $HOME\n" };
      await n.send(alert, 1);
      const [req] = await r.waitForRequests(1);
      expect(req!.path).toBe("/home-alerts");
      expect(req!.headers.authorization).toBe("Bearer tk_doc");
      expect(req!.headers.title).toBe(alert.subject);
      expect(req!.headers.tags).toBe("warning");
      expect(req!.rawBody).toBe(alert.text);
    } finally {
      await r.close();
    }
  });
});
