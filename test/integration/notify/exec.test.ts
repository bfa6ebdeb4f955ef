// Exec channel with real processes: environment, stdin, exit codes, timeout and process-group kill.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNotifiers, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import { ExecNotifier, factVariable } from "../../../collector/notify/exec.js";
import { NotifyError } from "../../../collector/notify/notifier.js";
import { hostSilentAlerts } from "../../helpers/sample-alerts.js";

let dir: string;
let dumpScript: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lastseen-exec-"));
  dumpScript = join(dir, "dump.mjs");
  // Writes what it got (argv, environment, stdin) to the file named by its first argument.
  writeFileSync(
    dumpScript,
    `import { readFileSync, writeFileSync } from "node:fs";
const stdin = readFileSync(0, "utf8");
writeFileSync(process.argv[2], JSON.stringify({ argv: process.argv.slice(3), env: process.env, stdin }));
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<NotifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotifyError);
  return err as NotifyError;
}

/** Alive and not a zombie (PID 1 in a container may not reap orphans). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

async function waitUntilDead(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isAlive(pid);
}

describe("exec channel", () => {
  it("runs argv without a shell, with the alert in LASTSEEN_* variables and as JSON on stdin", async () => {
    const out = join(dir, "out1.json");
    const cfg = notifyConfigSchema.parse({
      exec: [{ command: [process.execPath, dumpScript, out, "$(touch /tmp/pwned); echo hi", "*"], env: { NTFY_TOPIC: "home-alerts", NTFY_TOKEN: { env: "MY_NTFY_TOKEN" } } }],
    });
    const [n] = createNotifiers(cfg, {
      secrets: { env: { PATH: "/usr/bin:/bin", HOME: "/root", MY_NTFY_TOKEN: "tk_abc", UNRELATED_SECRET: "nope" }, readFile: () => "" },
    });
    expect(n!.name).toBe("exec");
    const { down } = hostSilentAlerts();
    const receipt = await n!.send(down, 3);
    expect(receipt.id).toMatch(/^pid \d+ exit 0$/);

    const got = JSON.parse(readFileSync(out, "utf8")) as { argv: string[]; env: Record<string, string>; stdin: string };
    expect(got.argv).toEqual(["$(touch /tmp/pwned); echo hi", "*"]);
    expect(got.env).toMatchObject({
      LASTSEEN_KIND: "firing",
      LASTSEEN_HOST: "home",
      LASTSEEN_RULE: "host.silent",
      LASTSEEN_SUBJECT: down.subject,
      LASTSEEN_TEXT: down.text,
      LASTSEEN_AT: down.at.toISOString(),
      LASTSEEN_FLIP_ID: down.flipId,
      LASTSEEN_INCIDENT_ID: down.incidentId,
      LASTSEEN_FACT_LAST_SEEN: "2026-11-27T02:10:00Z",
      LASTSEEN_FACT_LAST_ADDRESS: "203.0.113.7",
      LASTSEEN_CHANNEL: "exec",
      LASTSEEN_ATTEMPT: "3",
      NTFY_TOPIC: "home-alerts",
      NTFY_TOKEN: "tk_abc",
      PATH: "/usr/bin:/bin",
      HOME: "/root",
    });
    expect(got.env.UNRELATED_SECRET).toBeUndefined();
    expect(JSON.parse(got.stdin)).toMatchObject({ version: 1, kind: "firing", host: "home", flipId: down.flipId, facts: down.facts });
  });

  it("maps fact keys to variable names", () => {
    expect(factVariable("last_seen")).toBe("LASTSEEN_FACT_LAST_SEEN");
    expect(factVariable("job.name-1")).toBe("LASTSEEN_FACT_JOB_NAME_1");
  });

  it("fails retryably on a non-zero exit, with the last lines of stderr", async () => {
    const script = "for (let i = 1; i <= 8; i++) console.error('line ' + i); process.exit(3)";
    const n = new ExecNotifier({ name: "sms", command: [process.execPath, "-e", script], timeoutMs: 10_000 });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^exec channel "sms": .+ exited with code 3 \(pid \d+\); stderr: line 4 \| line 5 \| line 6 \| line 7 \| line 8$/);
  });

  it("succeeds for a command that ignores stdin", async () => {
    const n = new ExecNotifier({ name: "exec", command: ["/bin/true"], timeoutMs: 10_000 });
    await expect(n.send(hostSilentAlerts().down, 1)).resolves.toMatchObject({ id: expect.stringMatching(/exit 0$/) });
  });

  it("kills the whole process group on timeout (SIGTERM)", async () => {
    const pidFile = join(dir, "grandchild-1.pid");
    const n = new ExecNotifier({
      name: "exec",
      command: ["/bin/sh", "-c", `sleep 60 & echo $! > ${pidFile}; echo started >&2; wait`],
      timeoutMs: 1500,
    });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/timed out after 1500 ms; process group \d+ was killed; stderr: started/);
    expect(existsSync(pidFile)).toBe(true);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await waitUntilDead(grandchild)).toBe(true);
  });

  it("follows up with SIGKILL when the group ignores SIGTERM", async () => {
    const pidFile = join(dir, "grandchild-2.pid");
    const n = new ExecNotifier({
      name: "exec",
      command: ["/bin/sh", "-c", `trap '' TERM; sleep 60 & echo $! > ${pidFile}; wait`],
      timeoutMs: 1500,
      killGraceMs: 200,
    });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.message).toContain("timed out after 1500 ms");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await waitUntilDead(grandchild)).toBe(true);
  });

  it("reports a missing program as a config error", async () => {
    const n = new ExecNotifier({ name: "exec", command: [join(dir, "no-such-program")], timeoutMs: 1000 });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("ENOENT");
    expect(err.message).toContain("no-such-program");
  });
});
