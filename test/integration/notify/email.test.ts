// Email channel against a real SMTP server (smtp-server) on loopback; mails parsed by mailparser.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNotifiers, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import { EmailNotifier } from "../../../collector/notify/email.js";
import type { EmailChannelOptions } from "../../../collector/notify/email.js";
import { NotifyError } from "../../../collector/notify/notifier.js";
import type { Notifier } from "../../../collector/notify/notifier.js";
import { hostSilentAlerts } from "../../helpers/sample-alerts.js";
import { startSmtpSink } from "../../helpers/smtp-sink.js";
import type { SmtpSink } from "../../helpers/smtp-sink.js";
import { makeTestCertificates } from "../../helpers/tls-cert.js";
import type { TestCertificates } from "../../helpers/tls-cert.js";

let certs: TestCertificates;
let dir: string;
const open: { sinks: SmtpSink[]; notifiers: Notifier[] } = { sinks: [], notifiers: [] };

beforeAll(() => {
  certs = makeTestCertificates();
  dir = mkdtempSync(join(tmpdir(), "lastseen-email-"));
});
afterAll(() => {
  certs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const n of open.notifiers.splice(0)) await n.close?.();
  for (const s of open.sinks.splice(0)) await s.close();
});

async function sink(opts: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(opts);
  open.sinks.push(s);
  return s;
}

function emailChannel(s: SmtpSink, over: Partial<EmailChannelOptions> = {}): EmailNotifier {
  const n = new EmailNotifier({
    name: "email",
    host: s.host,
    port: s.port,
    secure: false,
    requireTls: false,
    from: "lastseen <lastseen@example.org>",
    to: ["owner@example.org"],
    timeoutMs: 5000,
    ...over,
  });
  open.notifiers.push(n);
  return n;
}

/** Builds the channel from TOML text, as `lastseen serve --config` would. */
function fromToml(toml: string, files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Notifier[] {
  const cfg = notifyConfigSchema.parse((parseToml(toml) as { notify: unknown }).notify);
  const ns = createNotifiers(cfg, {
    secrets: {
      env,
      readFile: (p) => {
        const v = files[p];
        if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
        return v;
      },
    },
  });
  open.notifiers.push(...ns);
  return ns;
}

async function freePortThatRefuses(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<NotifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotifyError);
  return err as NotifyError;
}

describe("email channel", () => {
  it("sends DOWN and UP as one thread, with the alert's subject and bodies (config exactly as in the issue)", async () => {
    const s = await sink();
    const [n] = fromToml(`
[[notify.email]]
smtp = "${s.url}"
from = "lastseen@example.org"
to = ["owner@example.org"]
`);
    expect(n!.name).toBe("email");
    expect(n!.type).toBe("email");
    const { down, up } = hostSilentAlerts({ host: "home", incidentId: "inc-7", address: "203.0.113.7" });
    const r1 = await n!.send(down, 1);
    const r2 = await n!.send(up, 1);
    const [m1, m2] = await s.waitForMails(2);

    expect(m1!.envelope).toEqual({ from: "lastseen@example.org", to: ["owner@example.org"] });
    expect(m1!.parsed.subject).toBe(down.subject);
    expect(m1!.parsed.subject).toMatch(/^DOWN home: /);
    expect(m1!.parsed.text).toContain("Last seen: 2026-11-27T02:10:00Z");
    expect(m1!.parsed.text).toContain("Last known address: 203.0.113.7");
    expect(m1!.parsed.html).toContain("<b>home</b>");
    expect(m1!.parsed.messageId).toBe("<incident-inc-7@example.org>");
    expect(r1.id).toBe("<incident-inc-7@example.org>");
    expect(m1!.parsed.inReplyTo).toBeUndefined();
    expect(m1!.parsed.headers.get("auto-submitted")).toBe("auto-generated");
    expect(m1!.parsed.headers.get("x-lastseen-host")).toBe("home");
    expect(m1!.secure).toBe(false);

    expect(m2!.parsed.subject).toMatch(/^UP home: /);
    expect(m2!.parsed.messageId).toBe("<flip-inc-7-flip-2@example.org>");
    expect(r2.id).toBe(m2!.parsed.messageId);
    expect(m2!.parsed.inReplyTo).toBe(m1!.parsed.messageId);
    expect(m2!.parsed.references).toBe(m1!.parsed.messageId);
  });

  it("threads reminders under the DOWN mail and keeps a retried mail's Message-ID", async () => {
    const s = await sink();
    const n = emailChannel(s);
    const { reminder } = hostSilentAlerts({ incidentId: "inc-8" });
    await n.send(reminder, 1);
    await n.send(reminder, 2);
    const [a, b] = await s.waitForMails(2);
    expect(a!.parsed.inReplyTo).toBe("<incident-inc-8@example.org>");
    expect(a!.parsed.references).toBe("<incident-inc-8@example.org>");
    expect(b!.parsed.messageId).toBe(a!.parsed.messageId);
  });

  it("hashes incident ids that are not valid inside a Message-ID", async () => {
    const s = await sink();
    const n = emailChannel(s);
    const { down, up } = hostSilentAlerts({ incidentId: "home/host.silent 2026-11-27T02:12" });
    await n.send(down, 1);
    await n.send(up, 1);
    const [m1, m2] = await s.waitForMails(2);
    expect(m1!.parsed.messageId).toMatch(/^<incident-[0-9a-f]{32}@example\.org>$/);
    expect(m2!.parsed.inReplyTo).toBe(m1!.parsed.messageId);
  });

  it("upgrades with STARTTLS, trusts a private CA from ca_file and logs in with password_file", async () => {
    const s = await sink({ tls: "starttls", key: certs.keyPem, cert: certs.certPem, auth: { user: "alerts", pass: "s3cret pass" } });
    const [n] = fromToml(
      `
[[notify.email]]
name = "ops-mail"
smtp = "smtp://127.0.0.1:${s.port}"
require_tls = true
ca_file = "${certs.caFile}"
username = "alerts"
password_file = "/etc/lastseen/smtp-password"
from = "lastseen@example.org"
to = ["owner@example.org", "second@example.org"]
`,
      { "/etc/lastseen/smtp-password": "s3cret pass\n", [certs.caFile]: certs.caPem },
    );
    expect(n!.name).toBe("ops-mail");
    await n!.init!();
    await n!.send(hostSilentAlerts().down, 1);
    const [m] = await s.waitForMails(1);
    expect(m!.secure).toBe(true);
    expect(m!.user).toBe("alerts");
    expect(m!.envelope.to).toEqual(["owner@example.org", "second@example.org"]);
  });

  it("speaks implicit TLS for smtps:// with user:password in the URL", async () => {
    const s = await sink({ tls: "implicit", key: certs.keyPem, cert: certs.certPem, auth: { user: "u@x", pass: "p:w/d" } });
    const [n] = fromToml(
      `
[[notify.email]]
smtp = "smtps://u%40x:p%3Aw%2Fd@127.0.0.1:${s.port}"
ca_file = "/ca.pem"
from = "lastseen@example.org"
to = ["owner@example.org"]
`,
      { "/ca.pem": certs.caPem },
    );
    await n!.send(hostSilentAlerts().down, 1);
    const [m] = await s.waitForMails(1);
    expect(m!.secure).toBe(true);
    expect(m!.user).toBe("u@x");
  });

  it("refuses a server without STARTTLS when require_tls is set (config error, not retryable)", async () => {
    const s = await sink({ tls: "none" });
    const n = emailChannel(s, { requireTls: true });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(err.retryable).toBe(false);
    expect(s.mails).toHaveLength(0);
  });

  it("rejects a certificate from an unknown CA when no ca_file is given", async () => {
    const s = await sink({ tls: "starttls", key: certs.keyPem, cert: certs.certPem });
    const n = emailChannel(s);
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(err.message).toMatch(/certificate/i);
    expect(err.message).toContain("ca_file");
    expect(s.mails).toHaveLength(0);
  });

  it("reports a wrong password as a config error from init(), without the password", async () => {
    const s = await sink({ tls: "starttls", key: certs.keyPem, cert: certs.certPem, auth: { user: "alerts", pass: "right" } });
    const n = emailChannel(s, { auth: { user: "alerts", pass: "Wr0ngPassw0rd" }, ca: certs.caPem });
    const err = await rejection(n.init());
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`127.0.0.1:${s.port}`);
    expect(err.message).not.toContain("Wr0ngPassw0rd");
    expect(s.authAttempts).toEqual([{ user: "alerts", ok: false }]);
  });

  it("classifies SMTP replies: 451 retryable, 550 permanent", async () => {
    const s = await sink();
    const n = emailChannel(s);
    s.failNext({ code: 451, message: "Try again later" });
    const e1 = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(e1.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(e1.retryable).toBe(true);

    s.failNext({ code: 550, message: "Mailbox unavailable", at: "rcpt" });
    const e2 = await rejection(n.send(hostSilentAlerts().down, 2));
    expect(e2.code).toBe("LASTSEEN_ERR_NOTIFY_REJECTED");
    expect(e2.retryable).toBe(false);

    await n.send(hostSilentAlerts().down, 3);
    expect(s.mails).toHaveLength(1);
  });

  it("reports an unreachable server as retryable", async () => {
    const port = await freePortThatRefuses();
    const n = new EmailNotifier({
      name: "email",
      host: "127.0.0.1",
      port,
      secure: false,
      requireTls: false,
      from: "lastseen@example.org",
      to: ["owner@example.org"],
      timeoutMs: 3000,
    });
    open.notifiers.push(n);
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`smtp://127.0.0.1:${port}`);
  });

  it("reads password_file from disk (trimmed) with the default reader and logs in with it", async () => {
    const s = await sink({ auth: { user: "alerts", pass: "from-file" } });
    writeFileSync(join(dir, "pw"), "  from-file  \n");
    const cfg = notifyConfigSchema.parse({
      email: [{ smtp: s.url, username: "alerts", password_file: join(dir, "pw"), from: "a@example.org", to: ["b@example.org"] }],
    });
    const [n] = createNotifiers(cfg);
    open.notifiers.push(n!);
    await n!.send(hostSilentAlerts().down, 1);
    expect(s.authAttempts).toEqual([{ user: "alerts", ok: true }]);
    expect((await s.waitForMails(1))[0]!.user).toBe("alerts");
  });
});
