// A lab is what one test file builds: a user-defined network (containers resolve each other by
// their short names), the containers on it, named volumes, and the cleanup that removes all of it.
// Everything carries the labels below, so cleanup finds it even when a start failed half-way.
// There is no reaper on these machines: call `lab.cleanup()` in afterAll.

import { randomBytes } from "node:crypto";
import { GenericContainer } from "testcontainers";
import type { StartedTestContainer, WaitStrategy } from "testcontainers";
import { ensureBaseImage } from "./base-image.js";
import { connectNetwork, disconnectNetwork, ipOn } from "./control.js";
import { E2eError } from "./errors.js";
import { projectImage } from "./project.js";
import type { BindMount } from "./project.js";
import { dockerStatus, dockerode } from "./runtime.js";

/** "1" on every container, network and volume the suite creates. */
export const LABEL = "lastseen.e2e";
export const LABEL_SUITE = "lastseen.e2e.suite";
/** One value per lab (per test file). */
export const LABEL_RUN = "lastseen.e2e.run";
/** One value per vitest run, from test/e2e/setup.ts (LASTSEEN_E2E_SESSION), for the final sweep. */
export const LABEL_SESSION = "lastseen.e2e.session";

export interface ContainerSpec {
  /** Short name: the hostname inside and the DNS name on the lab network ("collector", "agent-1"). */
  name: string;
  /** argv of the main process (pid 1), e.g. ["node", "dist/collector/cli.js", "serve"]. */
  command: string[];
  env?: Record<string, string>;
  /** Container ports to publish on the host (random host ports: getMappedPort). */
  exposedPorts?: number[];
  /**
   * When the container counts as started. Default: testcontainers' listening-ports check when
   * ports are exposed, else right after start. Wait.forLogMessage(...) is the cheapest.
   */
  wait?: WaitStrategy;
  /** Mount the project read-only at /app and start there (default true). */
  project?: boolean;
  /** Named volumes from lab.volume(), mounted read-write. */
  volumes?: Array<{ volume: string; target: string }>;
  bindMounts?: BindMount[];
  /** Default /app with the project, / without. */
  workingDir?: string;
  startupTimeoutMs?: number;
  /** Last-chance changes to the container definition (user, tmpfs, capabilities...). */
  configure?: (c: GenericContainer) => GenericContainer;
}

/**
 * GenericContainer attached to exactly one network at creation, with aliases on it (testcontainers'
 * withNetworkAliases would also attach the default bridge, which a network cut would not cut).
 */
class LabContainer extends GenericContainer {
  onNetwork(network: string, aliases: string[]): this {
    this.withNetworkMode(network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: aliases } } };
    return this;
  }

  /**
   * Names resolve only inside the lab: Docker's embedded DNS answers for containers on the network
   * and forwards everything else to 127.0.0.1, where nothing listens, so no query leaves the
   * machine. timeout:1 attempts:1 makes a failed lookup (unknown name, cut network) take ~1 s
   * instead of glibc's 2 x 5 s.
   */
  labDns(): this {
    this.hostConfig.Dns = ["127.0.0.1"];
    this.hostConfig.DnsOptions = ["timeout:1", "attempts:1"];
    return this;
  }
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 24) || "suite"
  );
}

export interface SweepResult {
  removed: string[];
  failures: string[];
}

/** Removes every container, then network, then volume carrying label `key=value`. */
export async function sweep(key: string, value: string): Promise<SweepResult> {
  const docker = await dockerode();
  const filters = { label: [`${key}=${value}`] };
  const removed: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
      removed.push(what);
    } catch (err) {
      if (dockerStatus(err) === 404) return; // already gone: nothing to do
      failures.push(`${what}: ${(err as Error).message}`);
    }
  };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((ci) =>
      attempt(`container ${ci.Names[0] ?? ci.Id}`, async () => {
        const c = docker.getContainer(ci.Id);
        if (ci.State === "paused") await c.unpause();
        await c.remove({ force: true, v: true });
      }),
    ),
  );
  for (const n of await docker.listNetworks({ filters })) {
    await attempt(`network ${n.Name}`, () => docker.getNetwork(n.Id).remove());
  }
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of volumes) await attempt(`volume ${v.Name}`, () => docker.getVolume(v.Name).remove());
  return { removed, failures };
}

/** Names of containers, networks and volumes still carrying label `key=value`. */
export async function leftovers(key: string, value: string): Promise<string[]> {
  const docker = await dockerode();
  const filters = { label: [`${key}=${value}`] };
  const names = (await docker.listContainers({ all: true, filters })).map((c) => `container ${c.Names[0] ?? c.Id}`);
  for (const n of await docker.listNetworks({ filters })) names.push(`network ${n.Name}`);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) names.push(`volume ${v.Name}`);
  return names;
}

export class Lab {
  private constructor(
    readonly suite: string,
    readonly runId: string,
    /** Prefix of every name: lastseen-e2e-<suite>-<run>. Also the network's name. */
    readonly prefix: string,
    readonly labels: Readonly<Record<string, string>>,
  ) {}

  /** The lab's network name. */
  get network(): string {
    return this.prefix;
  }

  /** Creates the lab's network. Pair with `await lab.cleanup()` in afterAll. */
  static async start(suite: string): Promise<Lab> {
    const runId = randomBytes(4).toString("hex");
    const prefix = `lastseen-e2e-${slug(suite)}-${runId}`;
    const labels: Record<string, string> = { [LABEL]: "1", [LABEL_SUITE]: slug(suite), [LABEL_RUN]: runId };
    const session = process.env.LASTSEEN_E2E_SESSION;
    if (session) labels[LABEL_SESSION] = session;
    const docker = await dockerode();
    await docker.createNetwork({ Name: prefix, Driver: "bridge", CheckDuplicate: true, Labels: labels });
    return new Lab(suite, runId, prefix, labels);
  }

  /** Starts a container from the base image on the lab network, named <prefix>-<spec.name>. */
  async container(spec: ContainerSpec): Promise<StartedTestContainer> {
    const withProject = spec.project ?? true;
    const base = withProject ? await projectImage() : { image: await ensureBaseImage(), bindMounts: [], workingDir: "/" };
    let def: GenericContainer = new LabContainer(base.image)
      .onNetwork(this.network, [spec.name])
      .labDns()
      .withName(`${this.prefix}-${spec.name}`)
      .withHostname(spec.name)
      .withLabels({ ...this.labels })
      .withCommand(spec.command)
      .withEnvironment(spec.env ?? {})
      .withBindMounts([
        ...base.bindMounts,
        ...(spec.volumes ?? []).map((v): BindMount => ({ source: v.volume, target: v.target, mode: "rw" })),
        ...(spec.bindMounts ?? []),
      ])
      .withWorkingDir(spec.workingDir ?? base.workingDir)
      .withStartupTimeout(spec.startupTimeoutMs ?? 30_000);
    if (spec.exposedPorts && spec.exposedPorts.length > 0) def = def.withExposedPorts(...spec.exposedPorts);
    if (spec.wait) def = def.withWaitStrategy(spec.wait);
    if (spec.configure) def = spec.configure(def);
    return def.start();
  }

  /** A named volume (survives its containers; removed by cleanup). Returns its full name. */
  async volume(name: string): Promise<string> {
    const full = `${this.prefix}-${slug(name)}`;
    await (await dockerode()).createVolume({ Name: full, Labels: { ...this.labels } });
    return full;
  }

  /** The container's current address on the lab network (undefined while disconnected). */
  ip(c: StartedTestContainer): Promise<string | undefined> {
    return ipOn(c, this.network);
  }

  /** Cuts the container off the lab network. */
  disconnect(c: StartedTestContainer): Promise<void> {
    return disconnectNetwork(c, this.network);
  }

  /** Puts the container back on the lab network under its short name. */
  connect(c: StartedTestContainer): Promise<void> {
    return connectNetwork(c, this.network, [c.getHostname()]);
  }

  /** What of this lab still exists in the engine (empty after cleanup). */
  leftovers(): Promise<string[]> {
    return leftovers(LABEL_RUN, this.runId);
  }

  /** Removes every container, the network and the volumes of this lab. Idempotent. */
  async cleanup(): Promise<void> {
    const { failures } = await sweep(LABEL_RUN, this.runId);
    if (failures.length > 0) {
      throw new E2eError("LASTSEEN_ERR_E2E_CLEANUP", `lab ${this.prefix} left ${failures.length} item(s): ${failures.join("; ")}`);
    }
  }
}
