// Things scenarios do to a running container from outside: freeze it, cut its network, signal it,
// run a command in it, read its address, state and logs. All go straight to the engine, so the
// answers are live (testcontainers caches its inspect result from start-up). To start a killed or
// stopped container again use testcontainers' own `c.restart()`: it re-reads the mapped ports and
// runs the wait strategy again.

import type { StartedTestContainer } from "testcontainers";
import { containerHandle, dockerode } from "./runtime.js";

/** Freezes every process of the container (cgroup freezer): it stops answering, sockets stay open. */
export async function pause(c: StartedTestContainer): Promise<void> {
  await (await containerHandle(c)).pause();
}

export async function unpause(c: StartedTestContainer): Promise<void> {
  await (await containerHandle(c)).unpause();
}

/**
 * Sends a signal to the container's main process (pid 1 inside). SIGKILL always works; other signals
 * only act when the process installed a handler, since pid 1 has no default actions.
 */
export async function kill(c: StartedTestContainer, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  await (await containerHandle(c)).kill({ signal });
}

export interface ExecOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOpts {
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

/** Runs argv inside the container (no shell unless argv asks for one) and waits for it. */
export async function exec(c: StartedTestContainer, argv: string[], opts: ExecOpts = {}): Promise<ExecOutcome> {
  const r = await c.exec(argv, opts);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** Cuts the container off `network` (by name); its address there is released. */
export async function disconnectNetwork(c: StartedTestContainer, network: string): Promise<void> {
  await (await dockerode()).getNetwork(network).disconnect({ Container: c.getId(), Force: true });
}

/**
 * Reconnects the container to `network`; `aliases` are the names other containers resolve (default:
 * its hostname, which the lab sets to the short name).
 */
export async function connectNetwork(c: StartedTestContainer, network: string, aliases: string[] = [c.getHostname()]): Promise<void> {
  await (await dockerode()).getNetwork(network).connect({ Container: c.getId(), EndpointConfig: { Aliases: aliases } });
}

/** The container's current IPv4 address on `network`, or undefined when it is not attached. */
export async function ipOn(c: StartedTestContainer, network: string): Promise<string | undefined> {
  const info = await (await containerHandle(c)).inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  return ip ? ip : undefined;
}

export interface ContainerState {
  status: string;
  running: boolean;
  paused: boolean;
  exitCode: number;
  /** Host pid of the main process (0 when not running). */
  pid: number;
}

export async function state(c: StartedTestContainer): Promise<ContainerState> {
  const s = (await (await containerHandle(c)).inspect()).State;
  return { status: s.Status, running: s.Running, paused: s.Paused, exitCode: s.ExitCode, pid: s.Pid };
}

/** Everything the container wrote to stdout and stderr so far (for failure messages). */
export async function logs(c: StartedTestContainer): Promise<string> {
  const buf = (await (await containerHandle(c)).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demux(buf);
}

/** Docker's log stream without a TTY: frames of [stream, 0, 0, 0, size (BE u32)] + payload. */
export function demux(buf: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return out;
}
