// Configuration of both ends: a wrong key or value fails at start with the file (or variable, or
// flag), the key and the reason; durations and sizes parse; the result is frozen.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAgentConfig } from "../../../agent/config.js";
import { loadCollectorConfig } from "../../../collector/config.js";
import { ConfigError } from "../../../proto/config-source.js";

const dir = mkdtempSync(join(tmpdir(), "lastseen-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(toml: string): string {
  const f = join(dir, `config-${++n}.toml`);
  writeFileSync(f, toml);
  return f;
}

function configError(fn: () => unknown): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a ConfigError").toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).code).toBe("LASTSEEN_ERR_CONFIG");
  return caught as ConfigError;
}

const loaders = {
  agent: (o: Parameters<typeof loadAgentConfig>[0]) => loadAgentConfig(o),
  collector: (o: Parameters<typeof loadCollectorConfig>[0]) => loadCollectorConfig(o),
};

describe.each(Object.entries(loaders))("%s config", (_side, load) => {
  it("a typo key in the file names the file and the key", () => {
    const f = file(`log_level = "debug"\nlog_levle = "info"\n`);
    const e = configError(() => load({ file: f, env: {} }));
    expect(e.message).toContain(f);
    expect(e.message).toContain("log_levle");
    expect(e.key).toBe("log_levle");
    expect(e.where).toBe(f);
  });

  it("invalid TOML names the file and the line", () => {
    const f = file(`log_level = "debug"\n\nthis is = = not toml\n`);
    const e = configError(() => load({ file: f, env: {} }));
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/line 3\b/);
  });

  it("a missing file names the file", () => {
    const e = configError(() => load({ file: join(dir, "nope.toml"), env: {} }));
    expect(e.message).toContain(join(dir, "nope.toml"));
    expect(e.message).toContain("ENOENT");
  });

  it("a bad value names the file, the key and the reason", () => {
    const f = file(`log_level = "loud"\n`);
    const e = configError(() => load({ file: f, env: {} }));
    expect(e.message).toContain(f);
    expect(e.message).toContain("log_level");
    expect(e.message).toMatch(/fatal|error|warn|info|debug/);
  });

  it("a bad value from an environment variable names the variable", () => {
    const e = configError(() => load({ env: { LASTSEEN_LOG_LEVEL: "loud" } }));
    expect(e.message).toContain("environment variable LASTSEEN_LOG_LEVEL");
    expect(e.key).toBe("log_level");
  });

  it("a bad value from a flag names the flag", () => {
    const e = configError(() => load({ env: {}, flags: { log_level: "loud" } }));
    expect(e.message).toContain("--log-level");
  });

  it("later sources win: file < environment < flag; the result is frozen", () => {
    const f = file(`log_level = "error"\n`);
    expect(load({ file: f, env: {} }).log_level).toBe("error");
    expect(load({ file: f, env: { LASTSEEN_LOG_LEVEL: "warn" } }).log_level).toBe("warn");
    const c = load({ file: f, env: { LASTSEEN_LOG_LEVEL: "warn" }, flags: { log_level: "trace" } });
    expect(c.log_level).toBe("trace");
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => { (c as { log_level: string }).log_level = "info"; }).toThrow(TypeError);
  });
});

describe("agent config values", () => {
  it("durations and sizes parse", () => {
    const f = file(`heartbeat = "1m30s"\n[outbox]\nmax_bytes = "8MiB"\n[stale_libs]\ninterval = "15m"\nrefresh = "1d"\n`);
    const c = loadAgentConfig({ file: f, env: {} });
    expect(c.heartbeat).toBe(90_000);
    expect(c.outbox.max_bytes).toBe(8 * 1024 * 1024);
    expect(c.stale_libs.interval).toBe(900_000);
    expect(c.stale_libs.refresh).toBe(86_400_000);
    expect(loadAgentConfig({ env: {}, flags: { heartbeat: "250ms" } }).heartbeat).toBe(250);
    expect(loadAgentConfig({ env: { LASTSEEN_HEARTBEAT: "2s" } }).heartbeat).toBe(2000);
  });

  it.each([["10KiB", 10_240], ["10kb", 10_000], ["1.5MiB", 1_572_864], ["1GiB", 1024 ** 3], ["4096", 4096], [4096, 4096]])("size %j is %d bytes", (v, bytes) => {
    expect(loadAgentConfig({ env: {}, flags: { "outbox.max_bytes": v } }).outbox.max_bytes).toBe(bytes);
  });

  it("a typo in a section names the dotted key", () => {
    const f = file(`[outbox]\nmax_byts = "1MiB"\n`);
    const e = configError(() => loadAgentConfig({ file: f, env: {} }));
    expect(e.message).toContain(f);
    expect(e.key).toBe("outbox.max_byts");
  });

  it("a bad duration says what a duration looks like", () => {
    const f = file(`heartbeat = "often"\n`);
    const e = configError(() => loadAgentConfig({ file: f, env: {} }));
    expect(e.message).toContain(f);
    expect(e.message).toContain("heartbeat");
    expect(e.message).toContain("often");
  });

  it("a duration out of range is refused", () => {
    const e = configError(() => loadAgentConfig({ env: { LASTSEEN_HEARTBEAT: "2d" } }));
    expect(e.message).toContain("LASTSEEN_HEARTBEAT");
  });

  it("a bad size names the key", () => {
    const f = file(`[outbox]\nmax_bytes = "lots"\n`);
    const e = configError(() => loadAgentConfig({ file: f, env: {} }));
    expect(e.message).toContain("outbox.max_bytes");
    expect(e.message).toContain("lots");
  });

  it("a job expectation with a bad name or both every and cron is refused, naming the entry", () => {
    const e1 = configError(() => loadAgentConfig({ file: file(`[[jobs]]\njob = "bad name"\nevery = "1d"\n`), env: {} }));
    expect(e1.key).toBe("jobs.0.job");
    const e2 = configError(() => loadAgentConfig({ file: file(`[[jobs]]\njob = "ok"\nevery = "1d"\n[[jobs]]\njob = "two"\nevery = "1d"\ncron = "0 3 * * *"\n`), env: {} }));
    expect(e2.message).toContain("jobs.1");
    expect(e2.message).toContain("every or cron");
  });

  it("a collector URL that is not ws:// or wss:// is refused", () => {
    const e = configError(() => loadAgentConfig({ env: { LASTSEEN_COLLECTOR: "http://127.0.0.1:7070" } }));
    expect(e.message).toContain("LASTSEEN_COLLECTOR");
  });
});

describe("collector config values", () => {
  it("durations, sizes and listen addresses parse", () => {
    const f = file(`listen = "[::1]:7443"\nretention = "30d"\n[limits]\nmax_payload = "512KiB"\nhello_timeout = "5s"\nping_interval = "1m"\nmessages_per_second = 50\n[tls]\ncert_file = "/etc/c.pem"\nkey_file = "/etc/k.pem"\n`);
    const c = loadCollectorConfig({ file: f, env: {} });
    expect(c.listen).toEqual({ host: "::1", port: 7443 });
    expect(c.retention).toBe(30 * 86_400_000);
    expect(c.limits.max_payload).toBe(512 * 1024);
    expect(c.limits.hello_timeout).toBe(5000);
    expect(c.limits.ping_interval).toBe(60_000);
    expect(c.limits.messages_per_second).toBe(50);
    expect(c.tls).toEqual({ cert_file: "/etc/c.pem", key_file: "/etc/k.pem" });
    expect(loadCollectorConfig({ env: { LASTSEEN_LISTEN: ":9000" } }).listen).toEqual({ host: "0.0.0.0", port: 9000 });
  });

  it("the typo of the issue: `listn` names the file and the key", () => {
    const f = file(`listn = "127.0.0.1:7070"\n`);
    const e = configError(() => loadCollectorConfig({ file: f, env: {} }));
    expect(e.message).toContain(f);
    expect(e.message).toContain("listn");
  });

  it("a typo in [limits] names the dotted key", () => {
    const f = file(`[limits]\nmessages_per_secnd = 5\n`);
    const e = configError(() => loadCollectorConfig({ file: f, env: {} }));
    expect(e.key).toBe("limits.messages_per_secnd");
    expect(e.message).toContain(f);
  });

  it("a bad listen address from the environment names the variable", () => {
    const e = configError(() => loadCollectorConfig({ env: { LASTSEEN_LISTEN: "127.0.0.1" } }));
    expect(e.message).toContain("environment variable LASTSEEN_LISTEN");
    expect(e.message).toContain("host:port");
  });

  it("[tls] needs both files", () => {
    const e = configError(() => loadCollectorConfig({ file: file(`[tls]\ncert_file = "/etc/c.pem"\n`), env: {} }));
    expect(e.key).toBe("tls.key_file");
  });

  it("a retention under an hour is refused with the reason", () => {
    const e = configError(() => loadCollectorConfig({ file: file(`retention = "5m"\n`), env: {} }));
    expect(e.key).toBe("retention");
    expect(e.message).toContain("minimum");
  });
});
