// The systemd units of deploy/systemd: `systemd-analyze verify` clean (it runs without systemd as
// PID 1), the hardening the docs promise is really in the files, `systemd-analyze security
// --offline` rates them, and the sysusers.d file creates the agent's user in a scratch root.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../../helpers/procs.js";
import { missing } from "../../helpers/requirement.js";

const UNITS = join(ROOT, "deploy", "systemd");
const tool = (name: string): string | null => {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]) if (existsSync(join(dir, name))) return join(dir, name);
  return null;
};
const analyze = tool("systemd-analyze");
const sysusers = tool("systemd-sysusers");
if (!analyze) console.warn("[systemd-units] SKIPPED: systemd-analyze is not installed (Debian: it is part of the systemd package)");

const dir = tempDir("lastseen-units-");
afterAll(() => dir.remove());

/** A copy of the unit whose ExecStart binary exists (verify checks that it is executable). */
function stage(unit: string, edit: (text: string) => string = (t) => t): string {
  const bin = join(dir.path, "bin");
  mkdirSync(bin, { recursive: true });
  for (const b of ["lastseen", "lastseen-agent"]) {
    writeFileSync(join(bin, b), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bin, b), 0o755);
  }
  const out = join(dir.path, unit);
  writeFileSync(out, edit(readFileSync(join(UNITS, unit), "utf8").replaceAll("/usr/local/bin/", `${bin}/`)));
  return out;
}

function verify(file: string): { code: number | null; stderr: string } {
  const r = spawnSync(analyze!, ["verify", file], { cwd: dir.path, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stderr: (r.stderr + r.stdout).trim() };
}

/** Every `Key=value` of a unit file, values of repeated keys in order. */
function directives(unit: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of readFileSync(join(UNITS, unit), "utf8").split("\n")) {
    const d = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (d) m.set(d[1]!, [...(m.get(d[1]!) ?? []), d[2]!]);
  }
  return m;
}

describe.skipIf(missing(Boolean(analyze), "systemd-analyze"))("systemd units (systemd-analyze verify)", () => {
  it.each(["lastseen.service", "lastseen-agent.service"])("%s verifies without a single message", (unit) => {
    expect(verify(stage(unit))).toEqual({ code: 0, stderr: "" });
  });

  it("the check notices a misspelt directive and a missing binary (it can fail)", () => {
    const typo = verify(stage("lastseen-agent.service", (t) => t.replace(/^ProtectSystem=strict$/m, "ProtectSytem=strict")));
    expect(typo.stderr).toMatch(/Unknown key( name)? 'ProtectSytem'/);
    const missing = verify(stage("lastseen.service", (t) => t.replace(/^ExecStart=\S+/m, "ExecStart=/nonexistent/lastseen")));
    expect(missing.stderr).toMatch(/\/nonexistent\/lastseen is not executable/);
  });

  it("the agent runs as its own user with CAP_SYS_PTRACE only, read-only system, private tmp", () => {
    const d = directives("lastseen-agent.service");
    expect(d.get("User")).toEqual(["lastseen-agent"]);
    expect(d.get("CapabilityBoundingSet")).toEqual(["CAP_SYS_PTRACE"]);
    expect(d.get("AmbientCapabilities")).toEqual(["CAP_SYS_PTRACE"]);
    for (const [k, v] of [["NoNewPrivileges", "yes"], ["ProtectSystem", "strict"], ["ProtectHome", "read-only"], ["PrivateTmp", "yes"], ["StateDirectory", "lastseen-agent"], ["ReadWritePaths", "/var/lib/lastseen-agent"]]) {
      expect(d.get(k!), k).toEqual([v]);
    }
    expect(d.has("DynamicUser")).toBe(false);
    expect(d.get("ExecStart")![0]).toMatch(/lastseen-agent run --config \/etc\/lastseen-agent\/agent\.toml/);
  });

  it("the collector runs as a dynamic user with no capabilities, and reloads on SIGHUP", () => {
    const d = directives("lastseen.service");
    for (const [k, v] of [["DynamicUser", "yes"], ["StateDirectory", "lastseen"], ["ProtectSystem", "strict"], ["NoNewPrivileges", "yes"], ["PrivateTmp", "yes"], ["CapabilityBoundingSet", ""], ["ExecReload", "/bin/kill -HUP $MAINPID"]]) {
      expect(d.get(k!), k).toEqual([v]);
    }
    expect(d.get("ExecStart")![0]).toMatch(/lastseen serve --config \/etc\/lastseen\/lastseen\.toml --data \/var\/lib\/lastseen/);
  });

  it.each(["lastseen.service", "lastseen-agent.service"])("%s: systemd-analyze security --offline rates it OK or better", (unit) => {
    const r = spawnSync(analyze!, ["security", "--offline=true", stage(unit)], { cwd: dir.path, encoding: "utf8", timeout: 60_000 });
    const m = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    console.info(`[systemd-units] ${unit}: exposure ${m![1]} ${m![2]}`);
    // systemd's scale: 0-10, lower is better; "OK" is below 5 (MEDIUM starts at 5).
    expect(Number(m![1])).toBeLessThan(3);
  });
});

describe.skipIf(missing(Boolean(sysusers), "systemd-sysusers"))("lastseen-agent.sysusers", () => {
  it("creates the lastseen-agent system user and group in a scratch root", () => {
    const root = join(dir.path, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    const r = spawnSync(sysusers!, [`--root=${root}`, join(UNITS, "lastseen-agent.sysusers")], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const passwd = readFileSync(join(root, "etc", "passwd"), "utf8");
    expect(passwd).toMatch(/^lastseen-agent:x:(\d+):(\d+):lastseen agent:\/var\/lib\/lastseen-agent:\/usr\/sbin\/nologin$/m);
    const uid = Number(/^lastseen-agent:x:(\d+):/m.exec(passwd)![1]);
    expect(uid).toBeLessThan(1000); // a system user
    expect(readFileSync(join(root, "etc", "group"), "utf8")).toMatch(/^lastseen-agent:x:\d+:$/m);
  });
});
