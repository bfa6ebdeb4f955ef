// Test peers for the collector side of the public IP: an in-process collector built from a TOML
// config (the same startCollector() `lastseen serve` runs), a raw agent connection bound to a
// chosen loopback address (127.0.0.2 is a different "public IP" than 127.0.0.1), and a small
// WebSocket reverse proxy that appends X-Forwarded-For like nginx does.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import WebSocket from "ws";
import { startCollector, type RunningCollector } from "../../../collector/app.js";
import { loadCollectorConfig } from "../../../collector/config.js";
import { decodeServerMessage, encodeEnvelope } from "../../../proto/codec.js";
import type { AddressReport, Welcome } from "../../../proto/types.js";
import { COLLECTOR_CLI, run } from "../../helpers/procs.js";

export interface InProcessCollector {
  readonly c: RunningCollector;
  readonly data: string;
  /** Every log line (JSON) so far. */
  logs(): { msg: string; [k: string]: unknown }[];
  stop(): Promise<void>;
}

/** Writes `toml` (plus data and listen) to DIR/collector.toml and starts the collector from it. */
export async function startFromToml(dir: string, toml: string, deps: { ipHookRetryMs?: number[]; listen?: string } = {}): Promise<InProcessCollector> {
  const data = join(dir, "data");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "collector.toml");
  writeFileSync(file, `listen = "${deps.listen ?? "127.0.0.1:0"}"\ndata = "${data}"\n${toml}\n`);
  const config = loadCollectorConfig({ file, env: {}, flags: {} });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      cb();
    },
  });
  const log = pino({ level: "debug" }, sink);
  const c = await startCollector(config, { log, ipHookRetryMs: deps.ipHookRetryMs });
  return {
    c, data,
    logs: () => lines.map((l) => JSON.parse(l) as { msg: string }),
    stop: () => c.stop(),
  };
}

/** `lastseen token add NAME --data DIR` against the running collector's database. */
export function addToken(data: string, name: string): string {
  const r = run(COLLECTOR_CLI, ["token", "add", name, "--data", data]);
  if (r.code !== 0) throw new Error(`token add ${name} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * `lastseen ARGS --data DIR` as a child process: exit code and output. Asynchronous, since the
 * collector it asks runs in this process.
 */
export function lastseen(data: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [COLLECTOR_CLI, ...args, "--data", data], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function lastseenJson<T>(data: string, ...args: string[]): Promise<T> {
  const r = await lastseen(data, ...args, "--json");
  if (r.code !== 0) throw new Error(`lastseen ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface AgentConnection {
  readonly welcome: Welcome;
  /** Sends an AddressReport as spooled event `seq` and waits for its Ack. */
  report(seq: number, report: AddressReport): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects like an agent (Hello, waits for Welcome) from `localAddress`, to `url` (ws://host:port),
 * with extra upgrade headers (e.g. a forged X-Forwarded-For).
 */
export function connectAgent(url: string, token: string, opts: { localAddress?: string; headers?: Record<string, string>; streamId?: string } = {}): Promise<AgentConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/agent`, {
      headers: { authorization: `Bearer ${token}`, ...opts.headers }, localAddress: opts.localAddress, perMessageDeflate: false,
    });
    ws.binaryType = "nodebuffer";
    const waiters: ((m: ReturnType<typeof decodeServerMessage>) => void)[] = [];
    ws.on("message", (d: Buffer) => {
      const m = decodeServerMessage(d);
      for (const w of [...waiters]) w(m);
    });
    const next = <K extends string>(kind: K, match: (v: never) => boolean = () => true) => new Promise<never>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no ${kind} from the collector within 10 s`)), 10_000);
      const w = (m: ReturnType<typeof decodeServerMessage>) => {
        if (m.kind !== kind || !match(m.value as never)) return;
        clearTimeout(t);
        waiters.splice(waiters.indexOf(w), 1);
        res(m.value as never);
      };
      waiters.push(w);
    });
    ws.on("unexpected-response", (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    ws.on("error", reject);
    ws.on("open", () => {
      const welcome = next("welcome") as Promise<Welcome>;
      ws.send(encodeEnvelope({
        seq: 0, eventId: "", sentAtMs: Date.now(),
        body: { kind: "hello", value: { agentVersion: "ip-test", hostname: "raw", bootId: "boot", heartbeatIntervalMs: 30_000, streamId: opts.streamId ?? randomUUID(), outboxDropped: 0, jobs: [], kernelRelease: "", osPrettyName: "" } },
      }));
      welcome.then((w) => resolve({
        welcome: w,
        async report(seq, report) {
          const acked = next("ack", (a: { seq: number }) => a.seq >= seq);
          ws.send(encodeEnvelope({ seq, eventId: randomUUID(), sentAtMs: Date.now(), body: { kind: "addressReport", value: report } }));
          await acked;
        },
        close: () => new Promise<void>((r) => {
          if (ws.readyState === WebSocket.CLOSED) return r();
          ws.once("close", () => r());
          ws.close(1000, "test done");
        }),
      }), reject);
    });
  });
}

export interface ForwardingProxy {
  /** http://127.0.0.1:PORT: what agents connect to. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A reverse proxy for WebSocket upgrades on 127.0.0.1 that connects to the collector from
 * `localAddress` (the address the collector trusts) and appends the client's address to
 * X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for does.
 */
export async function startForwardingProxy(target: string, localAddress: string): Promise<ForwardingProxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    const prior = req.headers["x-forwarded-for"];
    const xff = [...(prior ? [String(prior)] : []), client.remoteAddress ?? ""].join(", ");
    const up = http.request({
      host: t.hostname, port: t.port, path: req.url, method: req.method, localAddress,
      headers: { ...req.headers, "x-forwarded-for": xff },
    });
    up.on("upgrade", (res, upstream: Socket, upHead: Buffer) => {
      sockets.add(upstream);
      const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      client.write(lines.join("\r\n") + "\r\n\r\n");
      if (upHead.length) client.write(upHead);
      if (head.length) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on("close", end);
      client.on("close", end);
      upstream.on("error", end);
      client.on("error", end);
    });
    up.on("response", (res) => {
      client.end(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\nconnection: close\r\n\r\n`);
      res.resume();
    });
    up.on("error", () => client.destroy());
    up.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
