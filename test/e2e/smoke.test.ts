// Proves the container infrastructure the scenarios stand on: base image, lab network with name
// resolution, mapped ports on the host, separate hostnames and pid namespaces, pause/unpause,
// network cut and restore, signals, and a cleanup that leaves nothing behind.

import os from "node:os";
import { Wait } from "testcontainers";
import type { StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, LABEL_RUN, e2eGate, exec, kill, leftovers, logs, pause, state, unpause } from "../helpers/docker.js";

const gate = await e2eGate("smoke");

/** Answers every request with who it is and who asked (CommonJS: node -e). */
const WHO_SERVER = `
const http = require("node:http"), os = require("node:os");
http.createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ hostname: os.hostname(), pid: process.pid, peer: req.socket.remoteAddress }));
}).listen(8080, () => console.log("who-server listening on 8080"));
`;

/** Prints the JSON body of url, or exits 3 with the error (runs inside a container). */
const FETCH = `
fetch(process.argv[1], { signal: AbortSignal.timeout(3000) })
  .then((r) => r.text()).then((t) => process.stdout.write(t))
  .catch((e) => { process.stderr.write(String(e.cause ?? e)); process.exit(3); });
`;

interface Who {
  hostname: string;
  pid: number;
  peer: string;
}

async function fetchFromHost(url: string, timeoutMs: number): Promise<Who> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return (await res.json()) as Who;
}

describe.skipIf(!gate.run)("container infrastructure (smoke)", () => {
  let lab: Lab;
  let web: StartedTestContainer;
  let probe: StartedTestContainer;

  beforeAll(async () => {
    lab = await Lab.start("smoke");
    [web, probe] = await Promise.all([
      lab.container({
        name: "web",
        command: ["node", "-e", WHO_SERVER],
        exposedPorts: [8080],
        wait: Wait.forLogMessage("who-server listening on 8080"),
      }),
      lab.container({ name: "probe", command: ["sleep", "3600"], project: false }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await lab?.cleanup();
  });

  const webUrl = (): string => `http://${web.getHost()}:${web.getMappedPort(8080)}/`;

  it("a container reaches another by its short name on the lab network", async () => {
    const r = await exec(probe, ["node", "-e", FETCH, "http://web:8080/"]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const who = JSON.parse(r.stdout) as Who;
    expect(who.hostname).toBe("web");
    // The server sees the probe's own container address on the lab network.
    expect(who.peer.replace(/^::ffff:/, "")).toBe(await lab.ip(probe));
  });

  it("the host reaches the server through the mapped port on loopback", async () => {
    expect(web.getHost()).toBe(process.env.TESTCONTAINERS_HOST_OVERRIDE ?? "127.0.0.1");
    const who = await fetchFromHost(webUrl(), 5000);
    expect(who.hostname).toBe("web");
  });

  it("each container has its own hostname, pid namespace and address", async () => {
    const who = await fetchFromHost(webUrl(), 5000);
    expect(who.pid).toBe(1);
    expect(os.hostname()).not.toBe("web");
    expect((await exec(probe, ["cat", "/etc/hostname"])).stdout.trim()).toBe("probe");
    const pid1 = await exec(probe, ["cat", "/proc/1/cmdline"]);
    expect(pid1.stdout.split("\0")[0]).toBe("sleep");
    const [a, b] = [await lab.ip(web), await lab.ip(probe)];
    expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(b).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(a).not.toBe(b);
  });

  it("the base image has the tools the scenarios use and the project is mounted read-only at /app", async () => {
    const script = "cp /etc/passwd /tmp/p && mv /tmp/p /tmp/q && cat /tmp/q >/dev/null && sleep 0 && kill -0 1 && echo ok";
    expect(await exec(probe, ["sh", "-c", script])).toMatchObject({ exitCode: 0, stdout: "ok\n" });
    const pkg = await exec(web, ["cat", "/app/package.json"]);
    expect((JSON.parse(pkg.stdout) as { name: string }).name).toBe("lastseen");
    const write = await exec(web, ["sh", "-c", "echo x > /app/should-not-exist"]);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/read-only/i);
  });

  it("a paused container stops answering and answers again after unpause", async () => {
    await pause(web);
    expect((await state(web)).paused).toBe(true);
    await expect(fetchFromHost(webUrl(), 1500)).rejects.toThrow();
    await unpause(web);
    expect((await state(web)).paused).toBe(false);
    expect((await fetchFromHost(webUrl(), 5000)).hostname).toBe("web");
  });

  it("a container cut off the network cannot reach its peer; reconnected, it can again by name", async () => {
    await lab.disconnect(probe);
    expect(await lab.ip(probe)).toBeUndefined();
    const cut = await exec(probe, ["node", "-e", FETCH, "http://web:8080/"]);
    expect(cut.exitCode).toBe(3);
    await lab.connect(probe);
    expect(await lab.ip(probe)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const back = await exec(probe, ["node", "-e", FETCH, "http://web:8080/"]);
    expect(back.exitCode).toBe(0);
    // and the peer resolves the reconnected probe by its name too
    const reverse = await exec(web, ["node", "-e", "require('node:dns').lookup('probe', (e, a) => { if (e) { console.error(e.code); process.exit(3); } console.log(a); })"]);
    expect(reverse.stdout.trim()).toBe(await lab.ip(probe));
  });

  it("SIGKILL ends the container's main process; restart brings it back", async () => {
    await kill(web, "SIGKILL");
    const dead = await state(web);
    expect(dead.running).toBe(false);
    expect(dead.exitCode).toBe(137);
    await web.restart();
    expect((await fetchFromHost(webUrl(), 5000)).pid).toBe(1);
    expect(await logs(web)).toMatch(/who-server listening on 8080[\s\S]*who-server listening on 8080/);
  });

  it("cleanup removes every container, the network and volumes of the lab", async () => {
    const volume = await lab.volume("data");
    expect(await leftovers(LABEL_RUN, lab.runId)).toEqual(
      expect.arrayContaining([`container /${lab.prefix}-web`, `container /${lab.prefix}-probe`, `network ${lab.network}`, `volume ${volume}`]),
    );
    await pause(probe); // a paused container must not block cleanup
    await lab.cleanup();
    expect(await lab.leftovers()).toEqual([]);
    await lab.cleanup(); // idempotent
  });
});
