// /metrics of a real collector with two real agents (fleet.ts), scraped as Prometheus would:
// every line of the exposition is checked (prom-text.ts), the per-host and per-job series the
// issue names are there with the right values, counters move between scrapes (computed at scrape
// time), and access follows the status page's rule (this machine free, a proxy needs a token).
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type Fleet } from "./fleet.js";
import { parsePromText, sampleValue } from "./prom-text.js";

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet();
}, 180_000);
afterAll(async () => {
  await fleet?.stop();
});

async function scrape(base: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${base}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

describe("/metrics", () => {
  it("answers `curl -s http://127.0.0.1:PORT/metrics` from this machine with a valid exposition", async () => {
    const r = await scrape(fleet.collector.url);
    expect(r.status).toBe(200);
    expect(r.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    const f = parsePromText(r.text);
    expect(f.size).toBeGreaterThan(30);
    for (const fam of f.values()) {
      expect(fam.help, fam.name).not.toBe("");
      expect(fam.type, fam.name).not.toBe("untyped");
    }
    expect(r.text).toMatch(/^lastseen_host_up\{host="alpha"\} 1$/m);
    expect(r.text).toMatch(/^lastseen_host_last_seen_timestamp_seconds\{host="beta"\} \d+(\.\d+)?$/m);
  });

  it("has per host: up, last seen, stale processes, reboot required, addresses", async () => {
    const f = parsePromText((await scrape(fleet.collector.url)).text);
    const now = Date.now() / 1000;
    for (const host of ["alpha", "beta"]) {
      expect(sampleValue(f, "lastseen_host_up", { host })).toBe(1);
      expect(sampleValue(f, "lastseen_host_state", { host, state: "up" })).toBe(1);
      expect(sampleValue(f, "lastseen_host_state", { host, state: "silent" })).toBe(0);
      const seen = sampleValue(f, "lastseen_host_last_seen_timestamp_seconds", { host })!;
      expect(seen).toBeGreaterThan(now - 60);
      expect(seen).toBeLessThan(now + 5);
      expect(sampleValue(f, "lastseen_host_stale_processes", { host })).toBeGreaterThanOrEqual(1);
      expect([0, 1]).toContain(sampleValue(f, "lastseen_host_reboot_required", { host }));
    }
    expect(sampleValue(f, "lastseen_host_silenced", { host: "alpha" })).toBe(1);
    expect(sampleValue(f, "lastseen_host_address_info", { host: "beta", family: "6", address: "2001:db8::20" })).toBe(1);
  });

  it("has per job: last success, last duration, exit code and state", async () => {
    const f = parsePromText((await scrape(fleet.collector.url)).text);
    const ok = { host: "alpha", job: "nightly" };
    const bad = { host: "beta", job: "backup" };
    expect(sampleValue(f, "lastseen_job_last_success_timestamp_seconds", ok)).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(sampleValue(f, "lastseen_job_last_success_timestamp_seconds", bad)).toBeUndefined();
    expect(sampleValue(f, "lastseen_job_last_duration_seconds", ok)).toBeGreaterThan(0);
    expect(sampleValue(f, "lastseen_job_last_duration_seconds", bad)).toBeGreaterThan(0);
    expect(sampleValue(f, "lastseen_job_last_exit_code", bad)).toBe(3);
    expect(sampleValue(f, "lastseen_job_state", { ...bad, state: "failed" })).toBe(1);
    expect(sampleValue(f, "lastseen_job_state", { ...ok, state: "ok" })).toBe(1);
    expect(sampleValue(f, "lastseen_job_next_deadline_timestamp_seconds", bad)).toBeGreaterThan(Date.now() / 1000);
    expect(sampleValue(f, "lastseen_alert_firing", { host: "beta", rule: "job.failed", key: "backup", silenced: "false" })).toBe(1);
  });

  it("has the collector's own counters, computed at scrape time", async () => {
    const before = parsePromText((await scrape(fleet.collector.url)).text);
    expect(sampleValue(before, "lastseen_agent_connections")).toBe(2);
    expect(sampleValue(before, "lastseen_ingest_events_stored_total")).toBeGreaterThanOrEqual(4);
    expect(sampleValue(before, "lastseen_commit_batches_total")).toBeGreaterThan(0);
    expect(sampleValue(before, "lastseen_notifications", { channel: "x", status: "delivered" })).toBeUndefined();
    expect(sampleValue(before, "process_resident_memory_bytes")).toBeGreaterThan(10 * 2 ** 20);

    // A bad token at the agents' endpoint: counted, and the next scrape shows it.
    const ws = new WebSocket(fleet.collector.url.replace(/^http/, "ws") + "/v1/agent", { headers: { authorization: "Bearer lsa_wrong" } });
    const status = await new Promise<number>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", () => resolve(-1));
    });
    expect(status).toBe(401);
    const after = parsePromText((await scrape(fleet.collector.url)).text);
    expect(sampleValue(after, "lastseen_auth_failures_total")).toBe(sampleValue(before, "lastseen_auth_failures_total")! + 1);
    // Heartbeats keep arriving (every second): a later scrape counts more.
    await expect.poll(async () => sampleValue(parsePromText((await scrape(fleet.collector.url)).text), "lastseen_heartbeats_total"), { timeout: 15_000 })
      .toBeGreaterThan(sampleValue(before, "lastseen_heartbeats_total")!);
  });

  it("through the trusted proxy: 401 without a token, 200 with the read token, 401 with an agent token", async () => {
    const none = await scrape(fleet.proxy.url);
    expect(none.status).toBe(401);
    expect(none.text).toMatch(/read or admin token is required.*trusted proxy/);
    expect((await scrape(fleet.proxy.url, fleet.readToken)).status).toBe(200);
    expect((await scrape(fleet.proxy.url, fleet.agentToken)).status).toBe(401);
    // A wrong token is refused even from this machine (it is not silently ignored).
    expect((await scrape(fleet.collector.url, "lsr_wrong")).status).toBe(401);
  });
});

describe("the exposition checker", () => {
  it("refuses what Prometheus would refuse (it can fail)", () => {
    const ok = "# HELP a x\n# TYPE a gauge\na 1\n";
    expect(() => parsePromText(ok)).not.toThrow();
    expect(() => parsePromText("a 1\n")).toThrow(/no TYPE/);
    expect(() => parsePromText(ok + "a 2\n")).toThrow(/duplicate/);
    expect(() => parsePromText('# TYPE a gauge\na{x="\\t"} 1\n')).toThrow(/bad escape/);
    expect(() => parsePromText("# TYPE a counter\na -1\n")).toThrow(/counter/);
    expect(() => parsePromText("# TYPE a gauge\na one\n")).toThrow(/not a sample value/);
    expect(() => parsePromText("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 1\n")).toThrow(/contiguous/);
    expect(() => parsePromText("# TYPE a gauge\na 1")).toThrow(/newline/);
  });
});
