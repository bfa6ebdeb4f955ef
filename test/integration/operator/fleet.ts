// A small real fleet for the operator-surface tests: a collector process, a reverse proxy in
// front of it (trusted, connecting from 127.0.0.2), and two agent processes on this machine:
//   alpha  connects directly (address 127.0.0.1), runs a job that succeeds, is silenced;
//   beta   connects through the proxy, first as 198.51.100.20 then as 2001:db8::20 (documentation
//          addresses, only ever written in a header), runs a job that fails with hostile output.
// Both scan the real /proc and see one root process that maps a library replaced by rename.
import type { ChildProcess } from "node:child_process";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_CLI, COLLECTOR_CLI, addToken, cliJson, run, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";
import { findSharedLibrary, makeLibDir, replaceByRename, startPreloaded, stop } from "../stale-libs/stale-host.js";
import { PROXY_SOURCE, startForwardingProxy, type ForwardingProxy } from "./forwarding-proxy.js";

export const BETA_V4 = "198.51.100.20";
export const BETA_V6 = "2001:db8::20";
/** What beta's failing job prints: must show as text, never as markup. */
export const HOSTILE_OUTPUT = `<script>document.title="pwned"</script><b id="injected">bold</b> disk full & "quoted"`;
export const SILENCE_REASON = `<i id="injected-reason">maintenance</i>`;

export interface Fleet {
  collector: CollectorProc;
  proxy: ForwardingProxy;
  data: string;
  /** A read-only token (role read). */
  readToken: string;
  /** An agent token, which must not open the views. */
  agentToken: string;
  stalePid: number;
  staleLib: string;
  stop(): Promise<void>;
}

interface HostJson { name: string; state: string; addresses: { v4: string | null; v6: string | null }; staleProcesses: number }

export async function startFleet(): Promise<Fleet> {
  const dir = tempDir("lastseen-fleet-");
  const procs: Proc[] = [];
  let proxy: ForwardingProxy | undefined;
  let staleChild: ChildProcess | undefined;
  let libDir = "";
  const cleanup = async () => {
    for (const p of procs) await p.kill();
    await proxy?.close();
    await stop(staleChild);
    if (libDir) rmSync(libDir, { recursive: true, force: true });
    dir.remove();
  };
  try {
    const data = join(dir.path, "collector");
    const config = join(dir.path, "collector.toml");
    writeFileSync(config, [
      `trusted_proxies = ["${PROXY_SOURCE}/32"]`,
      "[status_page]", `timezone = "Europe/Berlin"`,
      "[alerts]", `stale_after = "1s"`,
      "[[jobs]]", `host = "beta"`, `job = "backup"`, `every = "24h"`, "",
    ].join("\n"));
    const agentConfig = join(dir.path, "agent.toml");
    writeFileSync(agentConfig, "[public_ip]\nenabled = false\n");

    const collector = await startCollector(data, { args: ["--config", config] });
    procs.push(collector);
    const alphaToken = addToken(data, "alpha");
    const betaToken = addToken(data, "beta");
    const read = run(COLLECTOR_CLI, ["token", "add", "viewer", "--role", "read", "--data", data]);
    if (read.code !== 0) throw new Error(`token add viewer --role read failed: ${read.stderr}`);

    libDir = makeLibDir("lastseen-fleet-");
    const staleLib = join(libDir, "libfleet-stale.so.1");
    copyFileSync(findSharedLibrary(), staleLib);
    staleChild = await startPreloaded(staleLib);
    replaceByRename(staleLib, findSharedLibrary());

    proxy = await startForwardingProxy({ host: "127.0.0.1", port: collector.port }, BETA_V4);
    const stateA = join(dir.path, "alpha");
    const stateB = join(dir.path, "beta");
    const args = ["--config", agentConfig];
    procs.push(startAgent(collector.url, alphaToken, stateA, args));
    let beta = startAgent(proxy.url, betaToken, stateB, args);
    procs.push(beta);

    const hosts = () => cliJson<HostJson[]>(["hosts", "--data", data]);
    const host = (name: string) => hosts().find((h) => h.name === name);
    await waitFor("beta up as 198.51.100.20", () => host("beta")?.state === "up" && host("beta")?.addresses.v4 === BETA_V4);
    // beta comes back over IPv6: a second address in its history, and a current IPv6 address.
    await beta.kill();
    proxy.claim(BETA_V6);
    beta = startAgent(proxy.url, betaToken, stateB, args);
    procs.push(beta);
    await waitFor("beta up as 2001:db8::20", () => host("beta")?.state === "up" && host("beta")?.addresses.v6 === BETA_V6);

    const ok = run(AGENT_CLI, ["job", "run", "nightly", "--state", stateA, "--", "sh", "-c", "echo all good"]);
    if (ok.code !== 0) throw new Error(`job run nightly failed: ${ok.stderr}`);
    const failed = run(AGENT_CLI, ["job", "run", "backup", "--state", stateB, "--", "sh", "-c", `printf '%s\\n' '${HOSTILE_OUTPUT.replaceAll("'", "'\\''")}' >&2; exit 3`]);
    if (failed.code !== 3) throw new Error(`job run backup should exit 3, got ${failed.code}: ${failed.stderr}`);
    const silence = run(COLLECTOR_CLI, ["silence", "add", "alpha", "--for", "2h", "--reason", SILENCE_REASON, "--data", data]);
    if (silence.code !== 0) throw new Error(`silence add failed: ${silence.stderr}`);

    await waitFor("both jobs reported", () => {
      const jobs = cliJson<{ host: string; job: string; lastResult: string | null }[]>(["jobs", "--data", data]);
      return jobs.some((j) => j.host === "alpha" && j.job === "nightly" && j.lastResult === "ok")
        && jobs.some((j) => j.host === "beta" && j.job === "backup" && j.lastResult === "failed");
    }, 30_000);
    await waitFor("both hosts report the stale process", () => hosts().every((h) => h.staleProcesses > 0), 30_000);
    await waitFor("the failed job and the stale findings alert", () => {
      const a = cliJson<{ firing: { host: string; rule: string }[] }>(["alerts", "--data", data]);
      return a.firing.some((f) => f.host === "beta" && f.rule === "job.failed") && a.firing.some((f) => f.rule === "host.stale");
    }, 30_000);

    const readToken = read.stdout.trim();
    return { collector, proxy, data, readToken, agentToken: alphaToken, stalePid: staleChild.pid!, staleLib, stop: cleanup };
  } catch (err) {
    const logs = procs.map((p) => p.output().split("\n").slice(-15).join("\n")).join("\n---\n");
    await cleanup();
    throw new Error(`${(err as Error).message}\nlast process output:\n${logs}`, { cause: err });
  }
}
