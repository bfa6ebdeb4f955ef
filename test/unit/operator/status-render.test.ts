// The status page's pure parts: escaping of everything agents and operators send, the systemctl
// line, times in the configured zone, and the refresh.
import { describe, expect, it } from "vitest";
import { absoluteTime, approxDuration, html, raw, relativeTime, runDuration } from "../../../collector/http/status-page/format.js";
import { hostPage } from "../../../collector/http/status-page/host-page.js";
import { hostsPage } from "../../../collector/http/status-page/hosts-page.js";
import { layout, loginPage } from "../../../collector/http/status-page/layout.js";
import type { AlertsView, HostDetail, JobView } from "../../../collector/queries/index.js";

const EVIL = `<img src=x onerror="alert(1)">&'`;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const t = { now: NOW, timeZone: "Europe/Berlin" };
const iso = (ms: number) => new Date(ms).toISOString();

function job(over: Partial<JobView> = {}): JobView {
  return {
    host: "web", job: EVIL, lastResult: "failed", exitCode: 3, lastStart: iso(NOW - 60_000), lastEnd: iso(NOW - 30_000), lastSuccess: null, durationMs: 30_000,
    state: "failed", nextDeadline: null, schedule: EVIL, expectation: null, signal: EVIL, runs: 1, hint: EVIL, ...over,
  };
}

function detail(): HostDetail {
  return {
    name: "web", state: "up", lastSeen: iso(NOW - 2000), address: "192.0.2.1", addresses: { v4: "192.0.2.1", v6: null }, connected: true,
    hostname: EVIL, agentVersion: EVIL, os: EVIL, kernel: EVIL, heartbeatIntervalMs: 30_000, timeoutMs: 120_000,
    outbox: { pending: 0, dropped: 2 }, eventsReceived: 10, staleProcesses: 2, rebootRequired: true, alerts: [EVIL], silencedUntil: null,
    findings: [
      { pid: 101, name: EVIL, unit: "cron.service", user: EVIL, container: null, deleted: [`/usr/lib/${EVIL}.so`], firstSeen: iso(NOW - 3_600_000), restart: "systemctl restart cron.service" },
      { pid: 202, name: "sshd", unit: "ssh.service", user: "root", container: null, deleted: ["/usr/lib/x86_64-linux-gnu/libc.so.6"], firstSeen: iso(NOW - 3_600_000), restart: "systemctl restart ssh.service" },
    ],
    restartCommands: ["systemctl restart cron.service ssh.service"],
    scan: { scannedAt: iso(NOW - 60_000), scannedProcesses: 140, skipped: { vanished: 1, denied: 0 }, kernel: { running: "6.1.0-18-amd64", installed: "6.1.0-21-amd64", rebootRequired: true, reason: EVIL } },
    jobs: [job()],
    ipHistory: [{ address: "192.0.2.1", family: 4, firstSeen: iso(NOW - 86_400_000), lastSeen: iso(NOW), sources: [EVIL] }],
  };
}

const alerts: AlertsView = {
  firing: [{ host: "web", rule: EVIL, key: EVIL, since: iso(NOW - 600_000), notified: true, silenced: false }],
  silences: [{ id: 1, host: "web", until: iso(NOW + 3_600_000), reason: EVIL }],
  flips: [{ id: 1, at: iso(NOW), host: "web", rule: "job.failed", key: "x", kind: "firing", subject: EVIL, suppressed: EVIL,
    notifications: [{ channel: EVIL, status: "failed", attempts: 3, lastError: EVIL, deliveredAt: null, nextAttemptAt: null }] }],
  deliveries: { pending: 0, sending: 0, delivered: 0, failed: 1 },
};

/** No tag of the hostile text survives; its text does, escaped. */
function expectEscaped(out: string): void {
  expect(out).not.toContain("<img");
  expect(out).not.toContain('onerror="');
  expect(out).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;");
}

describe("escaping", () => {
  it("the html tag escapes strings and numbers, passes Html fragments and arrays of them", () => {
    expect(html`<p title="${`"x"`}">${"<b>"}${raw("<i>ok</i>")}${[html`<br>`, "&"]}${null}${false}${0}</p>`.text)
      .toBe(`<p title="&quot;x&quot;">&lt;b&gt;<i>ok</i><br>&amp;0</p>`);
  });

  it("the hosts page shows hostile names, jobs, reasons and rules as text", () => {
    const out = hostsPage({ hosts: [detail()], jobs: [job()], alerts }, t).text;
    expectEscaped(out);
    expect(out).toContain('href="/hosts/web"');
  });

  it("the host page shows hostile paths, users, output, errors and kernels as text", () => {
    const out = hostPage({ host: detail(), alerts, runs: new Map([[EVIL, [{ runId: "r1", startedAt: NOW - 60_000, endedAt: NOW - 30_000, exitCode: 3, signal: null, durationMs: 30_000, outputTail: `${EVIL}\n</pre><script>x</script>`, message: EVIL }]]]) }, t).text;
    expectEscaped(out);
    expect(out).not.toContain("<script>");
    expect(out).toContain("&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;");
  });

  it("a hostile host name is escaped in links too (names are validated, the page does not rely on it)", () => {
    const out = hostsPage({ hosts: [{ ...detail(), name: `a"><script>` }], jobs: [], alerts: { ...alerts, firing: [], silences: [], flips: [] } }, t).text;
    expect(out).not.toContain("<script>");
    expect(out).toContain('href="/hosts/a%22%3E%3Cscript%3E"');
  });

  it("the login page shows the reason as text", () => {
    expect(loginPage(EVIL, t, "1.0", false)).not.toContain("<img");
  });
});

describe("the host page", () => {
  it("gives the systemctl line for the units, per finding and for all of them", () => {
    const out = hostPage({ host: detail(), alerts, runs: new Map() }, t).text;
    expect(out).toContain('<code class="cmd">systemctl restart cron.service ssh.service</code>');
    expect(out).toContain("<code>systemctl restart ssh.service</code>");
    expect(out).toContain("reboot pending");
  });
});

describe("layout", () => {
  it("refreshes itself by meta refresh and has a viewport for phones; no script", () => {
    const out = layout({ title: "x", body: html`<p>b</p>`, refreshS: 30, time: t, version: "1.2.3" });
    expect(out).toContain('<meta http-equiv="refresh" content="30">');
    expect(out).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(out).not.toMatch(/<script/i);
    expect(layout({ title: "x", body: html``, refreshS: null, time: t, version: "1" })).not.toContain("http-equiv");
  });

  it("a 401 page reached from another site reloads once (the Strict cookie is then sent)", () => {
    expect(loginPage("r", t, "1", true)).toContain('<meta http-equiv="refresh" content="0">');
    expect(loginPage("r", t, "1", false)).not.toContain('http-equiv="refresh"');
  });
});

describe("times", () => {
  it("relative", () => {
    expect(relativeTime(NOW - 2000, NOW)).toBe("just now");
    expect(relativeTime(NOW - 42_000, NOW)).toBe("42 s ago");
    expect(relativeTime(NOW - 5 * 60_000, NOW)).toBe("5 min ago");
    expect(relativeTime(NOW - (3 * 60 + 10) * 60_000, NOW)).toBe("3 h 10 min ago");
    expect(relativeTime(NOW - 2 * 86_400_000 - 4 * 3_600_000, NOW)).toBe("2 d 4 h ago");
    expect(relativeTime(NOW + 5 * 60_000, NOW)).toBe("in 5 min");
    expect(approxDuration(3_600_000)).toBe("1 h");
  });

  it("absolute, in the configured zone with its abbreviation (winter and summer)", () => {
    expect(absoluteTime(NOW, "Europe/Berlin")).toBe("2026-01-15 13:00:00 CET");
    expect(absoluteTime(Date.UTC(2026, 6, 1, 12, 0, 0), "Europe/Berlin")).toMatch(/^2026-07-01 14:00:00 (CEST|GMT\+2)$/);
    expect(absoluteTime(NOW, "UTC")).toBe("2026-01-15 12:00:00 UTC");
  });

  it("run durations", () => {
    expect(runDuration(350)).toBe("350 ms");
    expect(runDuration(12_340)).toBe("12.3 s");
    expect(runDuration(245_000)).toBe("4 min 5 s");
    expect(runDuration(3_720_000)).toBe("1 h 2 min");
  });
});
