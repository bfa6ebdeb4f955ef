// Access to the Docker engine through testcontainers' own client (the one GenericContainer uses),
// and the environment testcontainers needs on machines without a registry.

import { existsSync } from "node:fs";
import { getContainerRuntimeClient } from "testcontainers";
import type { ContainerRuntimeClient, StartedTestContainer } from "testcontainers";

export type Dockerode = ContainerRuntimeClient["container"]["dockerode"];
export type DockerContainer = ReturnType<Dockerode["getContainer"]>;

/**
 * Defaults for a machine that cannot pull images: no Ryuk reaper (the tests remove what they start)
 * and the mapped ports on 127.0.0.1. Values already set in the environment win.
 */
export function applyTestcontainersDefaults(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
}

export async function dockerode(): Promise<Dockerode> {
  applyTestcontainersDefaults();
  return (await getContainerRuntimeClient()).container.dockerode;
}

export async function containerHandle(c: StartedTestContainer | string): Promise<DockerContainer> {
  return (await dockerode()).getContainer(typeof c === "string" ? c : c.getId());
}

export interface DockerProbe {
  ok: boolean;
  /** "Docker 20.10.24 at 127.0.0.1" or why no engine answered. */
  detail: string;
}

let probed: Promise<DockerProbe> | undefined;

function whereWeLooked(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_HOST) return `DOCKER_HOST=${env.DOCKER_HOST}`;
  const sock = "/var/run/docker.sock";
  return existsSync(sock) ? `${sock} exists but the engine did not answer` : `${sock} does not exist and DOCKER_HOST is unset`;
}

/** Asks the engine for its info once per process, bounded by timeoutMs. */
export function probeDocker(timeoutMs = 15_000): Promise<DockerProbe> {
  probed ??= (async (): Promise<DockerProbe> => {
    applyTestcontainersDefaults();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const client = await Promise.race([getContainerRuntimeClient(), timeout]);
      const rt = client.info.containerRuntime;
      return { ok: true, detail: `Docker ${rt.serverVersion} at ${rt.host}` };
    } catch (err) {
      return { ok: false, detail: `${whereWeLooked(process.env)} (${(err as Error).message})` };
    } finally {
      clearTimeout(timer);
    }
  })();
  return probed;
}

export async function dockerAvailable(): Promise<boolean> {
  return (await probeDocker()).ok;
}

/** HTTP status of a dockerode error, or undefined. */
export function dockerStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}
