// deploy/proxy/nginx.conf and deploy/proxy/Caddyfile in front of a real collector, each run by the
// real server (when installed; Debian: nginx, caddy) on loopback ports with only the listen
// addresses, names, certificates and upstream port swapped for the test:
//   - a real agent connects through it (nginx: wss:// with the test CA) and its host comes up;
//   - a client from 127.0.0.5 with a forged X-Forwarded-For is recorded as 127.0.0.5: the proxy
//     sets the header and the collector (trusting only the proxy's 127.0.0.1) is not fooled;
//   - the status page through the proxy needs a token; nginx's access log keeps ?token= out.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeEnvelope } from "../../../proto/codec.js";
import { ROOT, addToken, cliJson, freePort, run, COLLECTOR_CLI, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";
import { makeTestCertificates, type TestCertificates } from "../../helpers/tls-cert.js";
import { missing } from "../../helpers/requirement.js";

const PROXY = join(ROOT, "deploy", "proxy");
const which = (name: string) => ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"].map((d) => join(d, name)).find((p) => existsSync(p));
const NGINX = which("nginx");
const CADDY = which("caddy");
if (!NGINX) console.warn("[reverse-proxies] nginx SKIPPED: not installed (Debian: apt-get install nginx; .ci/run installs it)");
if (!CADDY) console.warn("[reverse-proxies] Caddy SKIPPED: not installed (Debian: apt-get install caddy; .ci/run installs it)");

/** Where the forging client connects from: not the proxy's address. */
const CLIENT = "127.0.0.5";
const FORGED = "203.0.113.66";

const dir = tempDir("lastseen-proxies-");
const procs: Proc[] = [];
const servers: ChildProcess[] = [];
afterAll(async () => {
  for (const s of servers) {
    if (s.exitCode === null && s.signalCode === null) {
      const exited = new Promise((r) => s.once("exit", r));
      s.kill("SIGTERM");
      await exited;
    }
  }
  for (const p of procs) await p.kill();
  dir.remove();
});

async function collectorBehindProxy(name: string): Promise<CollectorProc> {
  const config = join(dir.path, `${name}-collector.toml`);
  writeFileSync(config, `trusted_proxies = ["127.0.0.1/32"]\n`);
  const c = await startCollector(join(dir.path, `${name}-data`), { args: ["--config", config] });
  procs.push(c);
  return c;
}

/** An agent's Hello over `url` from 127.0.0.5 with a forged X-Forwarded-For; resolves on the Welcome. */
function forgedHello(url: string, token: string, ca?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}`, "x-forwarded-for": FORGED }, localAddress: CLIENT, ca, perMessageDeflate: false });
    ws.on("open", () => ws.send(encodeEnvelope({
      seq: 0, eventId: "", sentAtMs: Date.now(),
      body: { kind: "hello", value: { agentVersion: "forger", hostname: "forger", bootId: randomUUID(), heartbeatIntervalMs: 30_000, streamId: randomUUID(), outboxDropped: 0, jobs: [], kernelRelease: "", osPrettyName: "" } },
    })));
    ws.on("message", () => {
      ws.close();
      resolve();
    });
    ws.on("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.on("error", reject);
  });
}

function get(url: string, opts: { ca?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const mod = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    mod.get(url, { ca: opts.ca, headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => { body += c; }).on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on("error", reject);
  });
}
async function listening(port: number, server: ChildProcess, log: () => string): Promise<void> {
  await waitFor(`the proxy on 127.0.0.1:${port}`, async () => {
    if (server.exitCode !== null) throw new Error(`proxy exited ${server.exitCode}: ${log()}`);
    return new Promise<boolean>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/healthz" }, (res) => { res.resume(); resolve(true); });
      req.on("error", () => resolve(false));
    });
  });
}

describe.skipIf(missing(Boolean(NGINX), "nginx"))("deploy/proxy/nginx.conf with nginx", () => {
  let certs: TestCertificates;
  let collector: CollectorProc;
  let httpsPort = 0;
  let httpPort = 0;
  const prefix = join(dir.path, "nginx");

  beforeAll(async () => {
    certs = makeTestCertificates();
    collector = await collectorBehindProxy("nginx");
    [httpsPort, httpPort] = [await freePort(), await freePort()];
    mkdirSync(join(prefix, "tmp"), { recursive: true });
    const site = readFileSync(join(PROXY, "nginx.conf"), "utf8")
      .replace(/^\s*listen \[::\]:\d+( ssl)?;\n/gm, "")
      .replace("listen 80;", `listen 127.0.0.1:${httpPort};`)
      .replace("listen 443 ssl;", `listen 127.0.0.1:${httpsPort} ssl;`)
      .replace(/ssl_certificate .*;/, `ssl_certificate ${join(certs.dir, "server.pem")};`)
      .replace(/ssl_certificate_key .*;/, `ssl_certificate_key ${join(certs.dir, "server-key.pem")};`)
      .replace(/access_log \S+ lastseen;/, `access_log ${join(prefix, "access.log")} lastseen;`)
      .replaceAll("http://127.0.0.1:7070", `http://127.0.0.1:${collector.port}`);
    expect(site).toContain(`127.0.0.1:${collector.port}`);
    writeFileSync(join(prefix, "lastseen.conf"), site);
    writeFileSync(join(prefix, "nginx.conf"), [
      "daemon off;", "user root;", "worker_processes 1;", `pid ${join(prefix, "nginx.pid")};`, `error_log ${join(prefix, "error.log")} info;`,
      "events { worker_connections 128; }",
      "http {",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${join(prefix, "tmp", t)};`),
      `  access_log off;`, `  include ${join(prefix, "lastseen.conf")};`, "}", "",
    ].join("\n"));
    const t = spawnSync(NGINX!, ["-t", "-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "error.log")], { encoding: "utf8" });
    expect(t.stderr, "nginx -t").toMatch(/syntax is ok[\s\S]*test is successful/);
    const server = spawn(NGINX!, ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "error.log")], { stdio: "ignore" });
    servers.push(server);
    await listening(httpPort, server, () => readFileSync(join(prefix, "error.log"), "utf8"));
  }, 60_000);

  afterAll(() => certs?.cleanup());

  it("a real agent connects through it over wss:// and comes up", async () => {
    const token = addToken(collector.data, "via-nginx");
    const state = join(dir.path, "nginx-agent");
    writeFileSync(join(dir.path, "agent.toml"), "[public_ip]\nenabled = false\n");
    procs.push(startAgent(`wss://127.0.0.1:${httpsPort}`, token, state, ["--ca-file", certs.caFile, "--config", join(dir.path, "agent.toml")]));
    await waitFor("via-nginx up", () => cliJson<{ name: string; state: string }[]>(["hosts", "--data", collector.data]).some((h) => h.name === "via-nginx" && h.state === "up"));
  });

  it("sets X-Forwarded-For itself on the WebSocket upgrade: a forged one is not believed", async () => {
    const token = addToken(collector.data, "forger-nginx");
    await forgedHello(`wss://127.0.0.1:${httpsPort}/v1/agent`, token, certs.caPem);
    const ip = run(COLLECTOR_CLI, ["ip", "forger-nginx", "--data", collector.data]);
    expect(ip.stdout.trim()).toBe(CLIENT);
  });

  it("the status page through it needs a token; ?token= is not written to the access log", async () => {
    expect((await get(`https://127.0.0.1:${httpsPort}/`, { ca: certs.caPem, headers: { "x-forwarded-for": "127.0.0.1" } })).status).toBe(401);
    const readToken = run(COLLECTOR_CLI, ["token", "add", "nginx-viewer", "--role", "read", "--data", collector.data]).stdout.trim();
    const r = await get(`https://127.0.0.1:${httpsPort}/?token=${readToken}`, { ca: certs.caPem });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe("/");
    expect(String(r.headers["set-cookie"])).toMatch(/^lastseen_view=lsr_[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/);
    expect((await get(`https://127.0.0.1:${httpsPort}/metrics`, { ca: certs.caPem, headers: { authorization: `Bearer ${readToken}` } })).status).toBe(200);
    await waitFor("the access log line", () => readFileSync(join(prefix, "access.log"), "utf8").includes('"GET / HTTP/1.1" 303'));
    const log = readFileSync(join(prefix, "access.log"), "utf8");
    expect(log).not.toContain(readToken);
    expect(log).not.toContain("token=");
  });

  it("sends plain HTTP to HTTPS", async () => {
    const r = await get(`http://127.0.0.1:${httpPort}/hosts/x`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://127.0.0.1/hosts/x`);
  });
});

describe.skipIf(missing(Boolean(CADDY), "caddy"))("deploy/proxy/Caddyfile with Caddy", () => {
  let collector: CollectorProc;
  let port = 0;
  const caddyEnv = () => ({ ...process.env, HOME: join(dir.path, "caddy-home"), XDG_DATA_HOME: join(dir.path, "caddy-data"), XDG_CONFIG_HOME: join(dir.path, "caddy-config") });

  beforeAll(async () => {
    collector = await collectorBehindProxy("caddy");
    port = await freePort();
    const file = join(dir.path, "Caddyfile");
    const text = readFileSync(join(PROXY, "Caddyfile"), "utf8")
      .replace(/^lastseen\.example\.org \{/m, `http://127.0.0.1:${port} {`)
      .replace("reverse_proxy 127.0.0.1:7070", `reverse_proxy 127.0.0.1:${collector.port}`);
    expect(text).toContain(`reverse_proxy 127.0.0.1:${collector.port}`);
    // Global options for the test only: no admin endpoint (port 2019 may be taken), no certificates.
    writeFileSync(file, `{\n\tadmin off\n\tauto_https off\n}\n\n${text}`);
    let log = "";
    const server = spawn(CADDY!, ["run", "--adapter", "caddyfile", "--config", file], { env: caddyEnv(), stdio: ["ignore", "ignore", "pipe"] });
    server.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
    servers.push(server);
    await listening(port, server, () => log);
  }, 60_000);

  it("the shipped file is valid as it is (caddy validate)", () => {
    const r = spawnSync(CADDY!, ["validate", "--adapter", "caddyfile", "--config", join(PROXY, "Caddyfile")], { encoding: "utf8", env: caddyEnv(), timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain("Valid configuration");
  });

  it("a real agent connects through it and comes up", async () => {
    const token = addToken(collector.data, "via-caddy");
    writeFileSync(join(dir.path, "agent-caddy.toml"), "[public_ip]\nenabled = false\n");
    procs.push(startAgent(`ws://127.0.0.1:${port}`, token, join(dir.path, "caddy-agent"), ["--config", join(dir.path, "agent-caddy.toml")]));
    await waitFor("via-caddy up", () => cliJson<{ name: string; state: string }[]>(["hosts", "--data", collector.data]).some((h) => h.name === "via-caddy" && h.state === "up"));
  });

  it("sets X-Forwarded-For itself on the WebSocket upgrade: a forged one is not believed", async () => {
    const token = addToken(collector.data, "forger-caddy");
    await forgedHello(`ws://127.0.0.1:${port}/v1/agent`, token);
    expect(run(COLLECTOR_CLI, ["ip", "forger-caddy", "--data", collector.data]).stdout.trim()).toBe(CLIENT);
  });

  it("the status page through it needs a token", async () => {
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(401);
    const readToken = run(COLLECTOR_CLI, ["token", "add", "caddy-viewer", "--role", "read", "--data", collector.data]).stdout.trim();
    expect((await get(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${readToken}` } })).status).toBe(200);
  });
});
