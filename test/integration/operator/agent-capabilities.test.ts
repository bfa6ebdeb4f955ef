// Which capability the agent's systemd unit must grant, checked on this kernel: the real scanner
// (`lastseen-agent scan --json`) runs as an unprivileged uid against a root process that maps a
// deleted library, with exactly the capability sets of the unit (setpriv: bounding set, ambient
// set, no_new_privs), and with the alternatives. Needs root (to switch uid) and setpriv.
import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_CLI } from "../../helpers/procs.js";
import { findSharedLibrary, makeLibDir, replaceByRename, startPreloaded, stop } from "../stale-libs/stale-host.js";
import { missing } from "../../helpers/requirement.js";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
const isRoot = process.getuid?.() === 0;
const why = !isRoot ? "not running as root (cannot switch to another uid)" : !SETPRIV ? "setpriv is not installed (util-linux)" : null;
if (why) console.warn(`[agent-capabilities] SKIPPED: ${why}`);

/** An unprivileged uid with no entry needed in /etc/passwd (nobody on Debian). */
const UID = 65534;

interface ScanJson {
  processes: { pid: number; deleted: string[] }[];
  skipped: { vanished: number; denied: number };
}

function scanAs(caps: string[]): ScanJson {
  const capArgs = caps.length === 0
    ? ["--bounding-set=-all"]
    : [`--bounding-set=-all,${caps.map((c) => `+${c}`).join(",")}`, `--inh-caps=${caps.map((c) => `+${c}`).join(",")}`, `--ambient-caps=${caps.map((c) => `+${c}`).join(",")}`];
  const r = spawnSync(SETPRIV!, [`--reuid=${UID}`, `--regid=${UID}`, "--clear-groups", "--no-new-privs", ...capArgs, "--", process.execPath, AGENT_CLI, "scan", "--json"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`scan as uid ${UID} with [${caps.join(",")}] exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ScanJson;
}

describe.skipIf(missing(why === null, why ?? ""))("the agent's capabilities (deploy/systemd/lastseen-agent.service)", () => {
  let dir = "";
  let lib = "";
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dir = makeLibDir("lastseen-caps-");
    lib = join(dir, "libcaps-test.so.1");
    copyFileSync(findSharedLibrary(), lib);
    child = await startPreloaded(lib); // runs as root
    replaceByRename(lib, findSharedLibrary());
  });

  afterAll(async () => {
    await stop(child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const found = (s: ScanJson) => s.processes.find((p) => p.pid === child!.pid);

  it("without capabilities, another user's process cannot be read (denied, not reported)", () => {
    const s = scanAs([]);
    expect(found(s)).toBeUndefined();
    expect(s.skipped.denied).toBeGreaterThan(0);
  });

  it("with CAP_SYS_PTRACE alone (the unit's set), the root process and its deleted library are reported", () => {
    const s = scanAs(["sys_ptrace"]);
    expect(found(s)).toMatchObject({ deleted: [lib] });
  });

  it("CAP_DAC_READ_SEARCH alone is not enough (so the unit does not grant it)", () => {
    const s = scanAs(["dac_read_search"]);
    expect(found(s)).toBeUndefined();
    expect(s.skipped.denied).toBeGreaterThan(0);
  });
});
