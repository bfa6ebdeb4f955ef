// Running one on-change hook for real: a command (argv without a shell, its environment, a timeout
// that kills the whole process group, a program that cannot start) and a URL (a loopback
// receiver: JSON body, 2xx, errors, credentials, no redirects, timeout).
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runHookCommand } from "../../../collector/ip/hook-command.js";
import { postHookUrl, type HookPayload } from "../../../collector/ip/hook-url.js";
import { freePort, tempDir, waitFor } from "../../helpers/procs.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver.js";

const dir = tempDir("lastseen-hook-run-");
afterAll(() => dir.remove());

function script(name: string, body: string): string {
  const f = join(dir.path, name);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
  return f;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

describe("command hook", () => {
  it("gets its argv unsplit and exactly the environment it is given", async () => {
    const out = join(dir.path, "env.out");
    const f = script("env.sh", `printf '%s\\n' "$#" "$1" "$LASTSEEN_ADDRESS" "$LASTSEEN_FAMILY" "\${SECRET-unset}" > "${out}"`);
    await runHookCommand({ command: [f, "a b; rm -rf /"], env: { PATH: process.env.PATH!, LASTSEEN_ADDRESS: "2001:db8::7", LASTSEEN_FAMILY: "6" }, timeoutMs: 5000, label: "host t, IPv6" });
    expect(readFileSync(out, "utf8").split("\n")).toEqual(["1", "a b; rm -rf /", "2001:db8::7", "6", "unset", ""]);
  });

  it("a non-zero exit fails with its code and the end of stderr", async () => {
    const f = script("fail.sh", 'echo "first line" >&2; echo "; TSIG error with server: tsig verify failure" >&2; exit 2');
    await expect(runHookCommand({ command: [f], env: {}, timeoutMs: 5000, label: "host home, IPv4 127.0.0.1" })).rejects.toMatchObject({
      code: "LASTSEEN_ERR_IP_HOOK_FAILED",
      message: expect.stringMatching(/on_ip_change command ".*fail\.sh" for host home, IPv4 127\.0\.0\.1 exited with code 2 \(pid \d+\); stderr: first line \| ; TSIG error/),
    });
  });

  it("on timeout the whole process group is killed, a child that ignores SIGTERM included", async () => {
    const pids = join(dir.path, "pids");
    // The script starts a child that ignores SIGTERM (like a stuck nsupdate), then waits.
    const f = script("slow.sh", `sh -c 'trap "" TERM; echo $$ > "${pids}"; while :; do sleep 1; done' &\nwait`);
    const started = runHookCommand({ command: [f], env: { PATH: process.env.PATH! }, timeoutMs: 500, killGraceMs: 300, label: "host slow, IPv4" });
    await expect(started).rejects.toMatchObject({ code: "LASTSEEN_ERR_IP_HOOK_TIMEOUT", message: expect.stringMatching(/timed out after 500 ms; process group \d+ was killed/) });
    await waitFor("the child's pid", () => existsSync(pids) && readFileSync(pids, "utf8").trim() !== "");
    const child = Number(readFileSync(pids, "utf8").trim());
    await waitFor(`pid ${child} gone`, () => !alive(child), 5000);
  });

  it("aborting (the collector stops) kills it too", async () => {
    const f = script("wait.sh", "sleep 30");
    const ac = new AbortController();
    const p = runHookCommand({ command: [f], env: { PATH: process.env.PATH! }, timeoutMs: 30_000, signal: ac.signal, label: "host w, IPv4" });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ message: expect.stringContaining("was stopped with the collector") });
  });

  it("a program that cannot start is a spawn error", async () => {
    await expect(runHookCommand({ command: [join(dir.path, "missing")], env: {}, timeoutMs: 1000, label: "host m, IPv4" })).rejects.toMatchObject({
      code: "LASTSEEN_ERR_IP_HOOK_SPAWN", message: expect.stringContaining("cannot run it (ENOENT)"),
    });
    await expect(runHookCommand({ command: [], env: {}, timeoutMs: 1000, label: "x" })).rejects.toMatchObject({ code: "LASTSEEN_ERR_IP_HOOK_SPAWN" });
  });
});

describe("url hook", () => {
  let receiver: WebhookReceiver;
  const servers: http.Server[] = [];
  afterEach(async () => {
    await receiver?.close();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
  const payload: HookPayload = { host: "home", address: "127.0.0.2", family: 4, previous: "127.0.0.1", at: "2026-11-27T10:00:00.000Z" };

  it("POSTs the JSON payload; 2xx is success", async () => {
    receiver = await startWebhookReceiver();
    receiver.respondNext({ status: 204 });
    expect(await postHookUrl({ url: receiver.url, payload, timeoutMs: 5000, label: "host home, IPv4" })).toEqual({ status: 204 });
    const [req] = receiver.requests;
    expect(req).toMatchObject({ method: "POST", path: "/hook", json: payload });
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["user-agent"]).toMatch(/^lastseen\//);
  });

  it("sends credentials from the URL as Basic auth and never shows path or query in errors", async () => {
    receiver = await startWebhookReceiver();
    const u = new URL(receiver.url);
    const url = `http://dyn%40user:s3cret@${u.host}/nic/update?token=abc123`;
    receiver.respondNext({ status: 200 });
    await postHookUrl({ url, payload, timeoutMs: 5000, label: "host home, IPv4" });
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("dyn@user:s3cret").toString("base64")}`);
    expect(receiver.requests[0]!.path).toBe("/nic/update?token=abc123");

    receiver.respondNext({ status: 500, body: "<html>dnserr</html>" });
    const err = await postHookUrl({ url, payload, timeoutMs: 5000, label: "host home, IPv4" }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: "LASTSEEN_ERR_IP_HOOK_FAILED", message: `on_ip_change url POST ${u.origin} for host home, IPv4: answered HTTP 500: <html>dnserr</html>` });
    expect((err as Error).message).not.toContain("abc123");
    expect((err as Error).message).not.toContain("s3cret");
  });

  it("does not follow a redirect, and fails on refusal and on timeout", async () => {
    receiver = await startWebhookReceiver();
    receiver.respondNext({ status: 302, headers: { location: "http://127.0.0.1:9/elsewhere" } });
    await expect(postHookUrl({ url: receiver.url, payload, timeoutMs: 5000, label: "h" })).rejects.toMatchObject({ message: expect.stringContaining("answered HTTP 302") });
    expect(receiver.requests).toHaveLength(1);

    const closed = await freePort();
    await expect(postHookUrl({ url: `http://127.0.0.1:${closed}/`, payload, timeoutMs: 5000, label: "h" })).rejects.toMatchObject({
      code: "LASTSEEN_ERR_IP_HOOK_FAILED", message: expect.stringContaining("ECONNREFUSED"),
    });

    const silent = http.createServer(() => { /* never answers */ });
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as AddressInfo).port;
    await expect(postHookUrl({ url: `http://127.0.0.1:${port}/`, payload, timeoutMs: 300, label: "h" })).rejects.toMatchObject({
      code: "LASTSEEN_ERR_IP_HOOK_TIMEOUT", message: expect.stringContaining("no answer within 300 ms"),
    });
  });
});
