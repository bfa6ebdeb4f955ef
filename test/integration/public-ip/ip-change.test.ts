// A host's public address changes, end to end on loopback: an agent connection from 127.0.0.1 and
// then from 127.0.0.2 (two "public IPs"), a collector built from its TOML config, `lastseen ip`
// and `lastseen alerts` as real processes, the change notice through a real SMTP server, and the
// on-change hook as a real command (argv, no shell) and a real HTTP receiver. A failing hook alerts,
// is retried, survives a restart of the collector, and its alert resolves when it succeeds.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AlertsView, IpHistoryEntry } from "../../../collector/queries/index.js";
import { tempDir, waitFor } from "../../helpers/procs.js";
import { startSmtpSink, type SmtpSink } from "../../helpers/smtp-sink.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver.js";
import { addToken, connectAgent, lastseen, lastseenJson, startFromToml, type InProcessCollector } from "./ip-peers.js";

const dir = tempDir("lastseen-ip-change-");
let smtp: SmtpSink;
let receiver: WebhookReceiver;
const HOOK = join(dir.path, "hook.sh");

// The hook a user would write around nsupdate: fails (exit 3, a message on stderr) while DIR/fail
// exists, else appends what it was given to DIR/runs. $2 has a space: it arrives as one argument
// only when no shell splits the argv.
const HOOK_SCRIPT = `#!/bin/sh
if [ -e "$1/fail" ]; then echo "update failed: SERVFAIL from 127.0.0.53" >&2; exit 3; fi
printf '%s|%s|%s|%s|%s\\n' "$LASTSEEN_HOST" "$LASTSEEN_FAMILY" "$LASTSEEN_ADDRESS" "$LASTSEEN_PREVIOUS_ADDRESS" "$2" >> "$1/runs"
`;

function hookDir(name: string, failing = false): string {
  const d = join(dir.path, `hook-${name}`);
  mkdirSync(d, { recursive: true });
  if (failing) writeFileSync(join(d, "fail"), "");
  return d;
}

const runs = (d: string): string[] => (existsSync(join(d, "runs")) ? readFileSync(join(d, "runs"), "utf8").trim().split("\n") : []);

function config(hooks: Record<string, string>): string {
  return [
    'log_level = "debug"',
    "[[notify.email]]", `smtp = "${smtp.url}"`, 'from = "lastseen@example.org"', 'to = ["owner@example.org"]', "",
    "[[hosts]]", 'name = "home"', "notify_ip_change = true",
    `on_ip_change = { command = ["${HOOK}", "${hooks.home}", "two words"], timeout = "10s" }`, "",
    "[[hosts]]", 'name = "office"',
    `on_ip_change = { url = "${receiver.url}", timeout = "5s" }`, "",
    "[[hosts]]", 'name = "dyn"',
    `on_ip_change = { command = ["${HOOK}", "${hooks.dyn}", "x"], timeout = "10s" }`, "",
  ].join("\n");
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  receiver = await startWebhookReceiver();
  writeFileSync(HOOK, HOOK_SCRIPT);
  chmodSync(HOOK, 0o755);
});

afterAll(async () => {
  await smtp?.close();
  await receiver?.close();
  dir.remove();
});

let collector: InProcessCollector | null = null;
afterEach(async () => {
  await collector?.stop();
  collector = null;
});

/** One agent connection from `from`: Hello, Welcome, close. */
async function connectFrom(c: InProcessCollector, token: string, from: string): Promise<void> {
  const a = await connectAgent(c.c.url, token, { localAddress: from });
  expect(a.welcome.observedAddress).toBe(from);
  await a.close();
}

const mailsAbout = (subject: string) => smtp.mails.filter((m) => (m.parsed.subject ?? "").startsWith(subject));

describe("a host's address changes", () => {
  it("is recorded as periods (A -> B -> A is three), notified once per change, and runs the command hook each time", async () => {
    const hooks = { home: hookDir("home-1"), dyn: hookDir("dyn-1") };
    collector = await startFromToml(join(dir.path, "c1"), config(hooks));
    const { data } = collector;
    const token = addToken(data, "home");

    await connectFrom(collector, token, "127.0.0.1");
    // The first address known: no change notice, but the hook runs so DNS is right from the start.
    await waitFor("the hook for the first address", () => runs(hooks.home).length === 1);
    expect(runs(hooks.home)).toEqual(["home|4|127.0.0.1||two words"]);
    expect((await lastseen(data, "ip", "home")).stdout).toBe("127.0.0.1\n");

    await connectFrom(collector, token, "127.0.0.2");
    await connectFrom(collector, token, "127.0.0.2"); // reconnect from the same address: no change
    await waitFor("the hook for the new address", () => runs(hooks.home).length === 2);
    expect(runs(hooks.home)[1]).toBe("home|4|127.0.0.2|127.0.0.1|two words");

    const plain = await lastseen(data, "ip", "home");
    expect(plain).toMatchObject({ code: 0, stdout: "127.0.0.2\n" });
    const hist = await lastseenJson<IpHistoryEntry[]>(data, "ip", "home", "--history");
    expect(hist.map((h) => [h.address, h.family, h.sources])).toEqual([["127.0.0.2", 4, ["peer"]], ["127.0.0.1", 4, ["peer"]]]);
    expect(Object.keys(hist[0]!).sort()).toEqual(["address", "family", "firstSeen", "lastSeen", "sources"]);
    expect(Date.parse(hist[0]!.firstSeen)).toBeGreaterThanOrEqual(Date.parse(hist[1]!.lastSeen));

    const [mail] = await smtp.waitForMails(1);
    expect(mail!.parsed.subject).toBe("IP home: now 127.0.0.2");
    expect(mail!.parsed.text).toContain("changed its IPv4 address from 127.0.0.1 to 127.0.0.2");

    // Back to the first address: a third period, a second notice, a third run.
    await connectFrom(collector, token, "127.0.0.1");
    await waitFor("the hook for the old address again", () => runs(hooks.home).length === 3);
    expect(runs(hooks.home)[2]).toBe("home|4|127.0.0.1|127.0.0.2|two words");
    await smtp.waitForMails(2);
    const again = await lastseenJson<IpHistoryEntry[]>(data, "ip", "home", "--history");
    expect(again.map((h) => h.address)).toEqual(["127.0.0.1", "127.0.0.2", "127.0.0.1"]);

    // Exactly one notice per change, as flips and as mails.
    const alerts = await lastseenJson<AlertsView>(data, "alerts");
    expect(alerts.flips.filter((f) => f.rule === "ip.changed").map((f) => f.subject)).toEqual(["IP home: now 127.0.0.1", "IP home: now 127.0.0.2"]);
    expect(mailsAbout("IP home").map((m) => m.parsed.subject)).toEqual(["IP home: now 127.0.0.2", "IP home: now 127.0.0.1"]);
    expect(alerts.firing).toEqual([]);
  });

  it("POSTs the new address to the url hook as JSON; no notice without notify_ip_change", async () => {
    collector = await startFromToml(join(dir.path, "c2"), config({ home: hookDir("home-2"), dyn: hookDir("dyn-2") }));
    const token = addToken(collector.data, "office");
    const before = receiver.requests.length;
    const mailsBefore = smtp.mails.length;
    await connectFrom(collector, token, "127.0.0.3");
    await receiver.waitForRequests(before + 1);
    await connectFrom(collector, token, "127.0.0.4");
    const reqs = (await receiver.waitForRequests(before + 2)).slice(before);
    expect(reqs.map((r) => r.method)).toEqual(["POST", "POST"]);
    expect(reqs[0]!.headers["content-type"]).toBe("application/json");
    expect(reqs[0]!.json).toMatchObject({ host: "office", address: "127.0.0.3", family: 4, previous: null });
    const second = reqs[1]!.json as Record<string, unknown>;
    expect(Object.keys(second).sort()).toEqual(["address", "at", "family", "host", "previous"]);
    expect(second).toMatchObject({ host: "office", address: "127.0.0.4", family: 4, previous: "127.0.0.3" });
    expect(new Date(second.at as string).toISOString()).toBe(second.at);
    expect((await lastseen(collector.data, "ip", "office")).stdout).toBe("127.0.0.4\n");
    expect(smtp.mails.length).toBe(mailsBefore);
  });

  it("a failing hook alerts at once (lastseen alerts and a mail), is retried, and resolves when it succeeds", async () => {
    const hooks = { home: hookDir("home-3"), dyn: hookDir("dyn-3", true) };
    collector = await startFromToml(join(dir.path, "c3"), config(hooks), { ipHookRetryMs: [300] });
    const { data } = collector;
    const token = addToken(data, "dyn");
    const mailsBefore = smtp.mails.length;

    await connectFrom(collector, token, "127.0.0.5");
    const firing = await waitFor("ip.hook-failed firing", async () => (await lastseenJson<AlertsView>(data, "alerts")).firing.find((a) => a.rule === "ip.hook-failed"));
    expect(firing).toMatchObject({ host: "dyn", key: "4", notified: true });
    const flip = (await lastseenJson<AlertsView>(data, "alerts")).flips.find((f) => f.rule === "ip.hook-failed" && f.kind === "firing")!;
    expect(flip.subject).toBe("HOOK dyn: the IP change hook failed");
    const human = await lastseen(data, "alerts");
    expect(human.stdout).toContain("ip.hook-failed");

    await smtp.waitForMails(mailsBefore + 1);
    const mail = mailsAbout("HOOK dyn")[0]!;
    expect(mail.parsed.text).toContain("127.0.0.5");
    expect(mail.parsed.text).toContain("LASTSEEN_ERR_IP_HOOK_FAILED");
    expect(mail.parsed.text).toContain("exited with code 3");
    expect(mail.parsed.text).toContain("update failed: SERVFAIL from 127.0.0.53");

    // Retried in the background while it fails: still one alert, no second notification.
    await waitFor("a few retries", () => collector!.logs().filter((l) => l.msg.startsWith("on_ip_change hook failed")).length >= 3);
    expect(mailsAbout("HOOK dyn")).toHaveLength(1);

    rmSync(join(hooks.dyn, "fail"));
    await waitFor("the hook succeeded", () => runs(hooks.dyn).length === 1);
    expect(runs(hooks.dyn)).toEqual(["dyn|4|127.0.0.5||x"]);
    await waitFor("ip.hook-failed resolved", async () => {
      const a = await lastseenJson<AlertsView>(data, "alerts");
      return a.firing.length === 0 && a.flips.some((f) => f.rule === "ip.hook-failed" && f.kind === "resolved");
    });
    await waitFor("the resolved mail", () => mailsAbout("OK dyn").length === 1);
    expect(mailsAbout("OK dyn")[0]!.parsed.subject).toBe("OK dyn: IP change hook succeeded");
    expect(mailsAbout("OK dyn")[0]!.parsed.text).toContain("127.0.0.5");
  });

  it("a pending run survives a restart of the collector, and the latest address wins over an older failing one", async () => {
    const hooks = { home: hookDir("home-4"), dyn: hookDir("dyn-4", true) };
    const cdir = join(dir.path, "c4");
    collector = await startFromToml(cdir, config(hooks), { ipHookRetryMs: [1000] });
    const data = collector.data;
    const token = addToken(data, "dyn");

    await connectFrom(collector, token, "127.0.0.6");
    await waitFor("the first run failed", async () => (await lastseenJson<AlertsView>(data, "alerts")).firing.some((a) => a.rule === "ip.hook-failed"));
    // A newer address while the old one's run is failing: it supersedes it and runs at once (it
    // fails as well). Retries are 1 s apart.
    await connectFrom(collector, token, "127.0.0.7");
    await waitFor("the run for the newer address failed too", () =>
      collector!.logs().some((l) => l.msg.startsWith("on_ip_change hook failed") && l.address === "127.0.0.7"));
    // The collector stops; the DNS server is fixed meanwhile.
    await collector.stop();
    collector = null;
    rmSync(join(hooks.dyn, "fail"));

    collector = await startFromToml(cdir, config(hooks), { ipHookRetryMs: [1000] });
    await waitFor("the hook ran after the restart", () => runs(hooks.dyn).length === 1);
    // Only the newest address was ever applied: the run for 127.0.0.6 is gone.
    expect(runs(hooks.dyn)).toEqual(["dyn|4|127.0.0.7|127.0.0.6|x"]);
    await waitFor("resolved after the restart", async () => (await lastseenJson<AlertsView>(collector!.data, "alerts")).firing.length === 0);
    expect((await lastseenJson<AlertsView>(collector.data, "alerts")).flips.filter((f) => f.rule === "ip.hook-failed").map((f) => f.kind)).toEqual(["resolved", "firing"]);
  });
});
