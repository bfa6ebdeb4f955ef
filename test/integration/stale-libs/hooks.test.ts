// The package-manager hooks in deploy/hooks: each runs `lastseen-agent trigger scan` and never
// fails the transaction. They are run here as their package manager would run them.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { missing } from "../../helpers/requirement.js";

const hooks = fileURLToPath(new URL("../../../deploy/hooks/", import.meta.url));
const bin = mkdtempSync(join(tmpdir(), "lastseen-hooks-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** argv of each hook, as its package manager builds it. */
const HOOKS: Record<string, () => string[]> = {
  apt: () => {
    const m = /DPkg::Post-Invoke \{ "(.*)"; \};/.exec(readFileSync(join(hooks, "80lastseen-apt.conf"), "utf8"));
    return ["/bin/sh", "-c", m![1]!.replace(/\\"/g, '"')]; // apt runs each command with sh -c
  },
  pacman: () => {
    const exec = /^Exec = (.*)$/m.exec(readFileSync(join(hooks, "lastseen.hook"), "utf8"))![1]!;
    const m = /^(\S+) (\S+) '(.*)'$/.exec(exec)!; // pacman splits on whitespace, honouring quotes
    return [m[1]!, m[2]!, m[3]!];
  },
  dnf4: () => {
    const line = readFileSync(join(hooks, "lastseen-dnf4.action"), "utf8").split("\n").find((l) => l && !l.startsWith("#"))!;
    const [filter, state, ...rest] = line.split(":");
    expect([filter, state]).toEqual(["*", "any"]);
    return ["/bin/sh", "-c", rest.join(":")]; // the plugin runs the command with a shell
  },
  dnf5: () => {
    const line = readFileSync(join(hooks, "lastseen-dnf5.actions"), "utf8").split("\n").find((l) => l && !l.startsWith("#"))!;
    const parts = line.split(":");
    expect(parts.slice(0, 4)).toEqual(["post_transaction", "", "", ""]);
    const command = parts.slice(4).join(":");
    // Arguments are separated by spaces; "\ " is a space inside an argument.
    return command.split(/(?<!\\) /).map((a) => a.replace(/\\ /g, " "));
  },
};

function fakeAgent(body: string): void {
  const p = join(bin, "lastseen-agent");
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

function run(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(Object.keys(HOOKS))("%s hook", (name) => {
  const argv = HOOKS[name]!();

  it("asks the agent for a scan", () => {
    const log = join(bin, `${name}.args`);
    fakeAgent(`echo "$@" > ${log}`);
    expect(run(argv)).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(readFileSync(log, "utf8")).toBe("trigger scan\n");
  });

  it("exits 0 quietly when the agent fails", () => {
    fakeAgent('echo noise; echo "error" >&2; exit 3');
    expect(run(argv)).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("exits 0 quietly when no agent is installed", () => {
    rmSync(join(bin, "lastseen-agent"), { force: true });
    expect(run(argv)).toEqual({ status: 0, stdout: "", stderr: "" });
  });
});

describe("apt snippet", () => {
  it.skipIf(missing(existsSync("/usr/bin/apt-config"), "apt-config"))("parses with apt-config", () => {
    const r = spawnSync("apt-config", ["-c", join(hooks, "80lastseen-apt.conf"), "dump", "DPkg::Post-Invoke"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("lastseen-agent trigger scan");
  });
});
