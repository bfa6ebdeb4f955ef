// deploy/docker/Dockerfile, built FROM the locally built base image (no registry is reachable) with
// the base image as a build argument, from the context a release build leaves (dist/,
// package.json, production node_modules): the container runs as a non-root user, keeps its data
// on the declared volume, becomes healthy by its own HEALTHCHECK command, refuses the status page
// and /metrics to a peer that is not loopback (the host, through Docker's port mapping) without a
// token, serves them with one, and stops cleanly on SIGTERM.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GenericContainer, Wait } from "testcontainers";
import type { StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL, LABEL_SESSION, LABEL_SUITE, e2eGate, ensureBaseImage, exec, projectRoot } from "../helpers/docker.js";
import { dockerode } from "../helpers/docker/runtime.js";

const gate = await e2eGate("collector-image");
const ROOT = projectRoot();

/** The image's own HEALTHCHECK command, checked every second instead of every 30 s (Docker keeps the
 * image's test when a container sets only the timing). */
class FastHealth extends GenericContainer {
  checkEverySecond(): this {
    this.createOpts.Healthcheck = { Interval: 1e9, StartPeriod: 30e9, Retries: 3, Timeout: 5e9 };
    return this;
  }
}

/** What `npm ci && npm run build && npm prune --omit=dev` leaves, copied into a fresh context. */
function stageContext(): string {
  const ctx = mkdtempSync(join(tmpdir(), "lastseen-image-"));
  const r = spawnSync("npm", ["ls", "--omit=dev", "--parseable", "--all"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  const packages = r.stdout.split("\n").filter(Boolean).map((p) => p.slice(ROOT.length + 1)).filter((p) => /^node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(p));
  if (packages.length < 10) throw new Error(`npm ls --omit=dev listed ${packages.length} packages: ${r.stderr}`);
  for (const p of [...packages, "dist", "package.json", "deploy/docker"]) {
    mkdirSync(dirname(join(ctx, p)), { recursive: true });
    cpSync(join(ROOT, p), join(ctx, p), { recursive: true, dereference: true, filter: (src) => !src.includes(`${ROOT}/dist/test`) });
  }
  return ctx;
}

describe.skipIf(!gate.run)("collector container image (deploy/docker/Dockerfile)", () => {
  const tag = `lastseen-collector-e2e:${createHash("sha256").update(String(process.pid) + Date.now()).digest("hex").slice(0, 12)}`;
  let ctx = "";
  let base = "";
  let container: StartedTestContainer | undefined;
  let url = "";

  beforeAll(async () => {
    base = await ensureBaseImage();
    ctx = stageContext();
    await GenericContainer.fromDockerfile(ctx, "deploy/docker/Dockerfile").withBuildArgs({ BASE_IMAGE: base }).build(tag, { deleteOnExit: false });
    container = await new FastHealth(tag)
      .checkEverySecond()
      .withExposedPorts(7070)
      .withLabels({ [LABEL]: "1", [LABEL_SUITE]: "collector-image", [LABEL_SESSION]: process.env.LASTSEEN_E2E_SESSION ?? "none" })
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(60_000)
      .start();
    url = `http://${container.getHost()}:${container.getMappedPort(7070)}`;
  }, 300_000);

  afterAll(async () => {
    await container?.stop({ remove: true, removeVolumes: true }).catch((err: Error) => console.warn(`[collector-image] stop: ${err.message}`));
    await (await dockerode()).getImage(tag).remove({ force: true }).catch((err: Error) => console.warn(`[collector-image] rmi ${tag}: ${err.message}`));
    if (ctx) rmSync(ctx, { recursive: true, force: true });
  });

  it("is built from the base image given as a build argument, with a non-root user, a volume, a port and a healthcheck", async () => {
    const info = await (await dockerode()).getImage(tag).inspect();
    const baseInfo = await (await dockerode()).getImage(base).inspect();
    const layers = baseInfo.RootFS.Layers ?? [];
    expect(layers.length).toBeGreaterThan(0);
    expect(info.RootFS.Layers?.slice(0, layers.length)).toEqual(layers);
    expect(info.Config.User).toBe("10001:10001");
    expect(Object.keys(info.Config.Volumes ?? {})).toEqual(["/var/lib/lastseen"]);
    expect(Object.keys(info.Config.ExposedPorts ?? {}).sort()).toEqual(["3478/udp", "7070/tcp"]);
    expect((info.Config as { Healthcheck?: { Test: string[] } }).Healthcheck?.Test).toEqual(["CMD", "node", "/opt/lastseen/healthcheck.mjs"]);
  });

  it("became healthy by its own HEALTHCHECK command, and runs as uid 10001 with its data on the volume", async () => {
    const state = await (await dockerode()).getContainer(container!.getId()).inspect();
    expect(state.State.Health?.Status).toBe("healthy");
    const last = state.State.Health?.Log?.at(-1);
    expect(last?.ExitCode).toBe(0);
    expect(last?.Output).toMatch(/^healthy: http:\/\/127\.0\.0\.1:7070\/healthz/);
    const who = await exec(container!, ["node", "-e", "const fs=require('fs');const s=fs.statSync('/var/lib/lastseen/lastseen.db');process.stdout.write(JSON.stringify({uid:process.getuid(),db:s.uid,mode:(fs.statSync('/var/lib/lastseen').mode&0o777).toString(8)}))"]);
    expect(JSON.parse(who.stdout)).toEqual({ uid: 10001, db: 10001, mode: "700" });
  });

  it("refuses the status page and /metrics to a peer that is not loopback; a read token opens them", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(401);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(401);
    expect(await metrics.text()).toMatch(/read or admin token is required for requests from \d+\.\d+\.\d+\.\d+/);

    const add = await exec(container!, ["node", "dist/collector/cli.js", "token", "add", "prometheus", "--role", "read"]);
    expect(add.exitCode).toBe(0);
    const token = add.stdout.trim();
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^lastseen_collector_info\{version="[^"]+"\} 1$/m);
    // Inside the container the collector is this machine: no token needed.
    const inside = await exec(container!, ["node", "-e", "fetch('http://127.0.0.1:7070/metrics').then((r)=>process.stdout.write(String(r.status)))"]);
    expect(inside.stdout).toBe("200");
  });

  it("stops cleanly on SIGTERM (node as PID 1 handles it)", async () => {
    const handle = (await dockerode()).getContainer(container!.getId());
    await handle.stop({ t: 20 });
    const state = await handle.inspect();
    expect(state.State.ExitCode).toBe(0);
    expect(state.State.OOMKilled).toBe(false);
  });
});
