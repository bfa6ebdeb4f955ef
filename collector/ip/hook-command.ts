// Runs the `command` of an on-change hook: argv without a shell, the new address in LASTSEEN_*
// environment variables, in its own process group. Exit 0 = ok. On timeout (or when the collector
// stops) the whole group is killed: SIGTERM, then SIGKILL after a grace period, so a script's
// children (nsupdate, curl) do not outlive it.
import { runCommand } from "../process/run-command.js";
import { IpHookError } from "./errors.js";

export interface HookCommandOptions {
  /** argv: the program and its arguments. */
  readonly command: readonly string[];
  /** The complete environment of the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Aborting kills the process group like a timeout (the collector is stopping). */
  readonly signal?: AbortSignal;
  /** For messages: `host home, IPv4`. */
  readonly label: string;
}

export interface HookCommandResult {
  pid: number;
}

export async function runHookCommand(o: HookCommandOptions): Promise<HookCommandResult> {
  const what = `on_ip_change command ${JSON.stringify(o.command[0] ?? "")} for ${o.label}`;
  const r = await runCommand({ command: o.command, env: o.env, timeoutMs: o.timeoutMs, killGraceMs: o.killGraceMs, signal: o.signal });
  const tail = "stderrTail" in r && r.stderrTail ? `; stderr: ${r.stderrTail}` : "";
  switch (r.kind) {
    case "exited":
      if (r.code === 0) return { pid: r.pid };
      throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what} exited with code ${r.code} (pid ${r.pid})${tail}`);
    case "signaled":
      throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what} was killed by ${r.signal} (pid ${r.pid})${tail}`);
    case "timeout":
      throw new IpHookError("LASTSEEN_ERR_IP_HOOK_TIMEOUT", `${what} timed out after ${o.timeoutMs} ms; process group ${r.pid} was killed${tail}`);
    case "aborted":
      throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what} was stopped with the collector (pid ${r.pid})`);
    case "spawn-failed":
      throw new IpHookError("LASTSEEN_ERR_IP_HOOK_SPAWN", r.code === "EMPTY" ? `${what}: the command is empty` : `${what}: cannot run it (${r.code})`, { cause: r.cause });
    case "stdin-failed":
      throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what}: ${r.code}`);
  }
}
