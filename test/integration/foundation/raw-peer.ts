// A raw WebSocket peer for integration tests: speaks the wire protocol by hand (or breaks it on
// purpose) against a real collector, and reports exactly what it sees: the HTTP status of a
// refused upgrade, every server message, and the close code and reason.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { decodeServerMessage, encodeEnvelope } from "../../../proto/codec.js";
import type { AgentBody, Hello, JobEvent, ServerBodies, ServerBodyKind, ServerMessage, Welcome } from "../../../proto/types.js";

export const agentWsUrl = (collectorUrl: string) => `${collectorUrl.replace(/^http/, "ws")}/v1/agent`;

export interface Closed {
  code: number;
  reason: string;
}

export interface RawPeer {
  readonly ws: WebSocket;
  /** Every message the collector sent, decoded, in order. */
  readonly received: ServerMessage[];
  readonly closed: Promise<Closed>;
  hello(over?: Partial<Hello>): Promise<Welcome>;
  /** Sends one spooled event (a job event unless a body is given); returns its event id. */
  event(seq: number, body?: AgentBody, eventId?: string): string;
  send(data: Uint8Array | string): void;
  /** The first message of this kind (matching `match`) received on this connection, waiting for it if needed. */
  next<K extends ServerBodyKind>(kind: K, match?: (m: ServerBodies[K]) => boolean, timeoutMs?: number): Promise<ServerBodies[K]>;
  close(): void;
}

/** The HTTP status the collector answers to an upgrade with this Authorization header (101 when it accepts). */
export function upgradeStatus(collectorUrl: string, authorization: string | undefined, opts: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(agentWsUrl(collectorUrl), { ...opts, headers: authorization === undefined ? {} : { authorization } });
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => {
      resolve(101);
      ws.terminate();
    });
    ws.on("error", (err) => reject(err));
  });
}

export function jobBody(job: string, i: number, over: Partial<JobEvent> = {}): AgentBody {
  const t = Date.now();
  return { kind: "jobEvent", value: { job, runId: randomUUID(), phase: "end", startedAtMs: t - 1000, endedAtMs: t, exitCode: 0, signal: "", outputTail: `raw ${i}`, message: "", pid: 0, ...over } };
}

export function connectRaw(collectorUrl: string, token: string, opts: WebSocket.ClientOptions = {}): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(agentWsUrl(collectorUrl), { ...opts, headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    ws.binaryType = "nodebuffer";
    const received: ServerMessage[] = [];
    const waiters = new Set<() => void>();
    let closedInfo: Closed | null = null;
    const closed = new Promise<Closed>((res) => ws.on("close", (code, reason) => {
      closedInfo = { code, reason: reason.toString() };
      res(closedInfo);
      for (const w of waiters) w();
    }));
    ws.on("message", (data: Buffer) => {
      received.push(decodeServerMessage(data));
      for (const w of waiters) w();
    });
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
    });
    ws.on("error", (err) => reject(err));
    const peer: RawPeer = {
      ws, received, closed,
      async hello(over = {}) {
        const hello: Hello = {
          agentVersion: "raw-test", hostname: "raw", bootId: "boot", heartbeatIntervalMs: 30_000, streamId: "raw-stream",
          outboxDropped: 0, jobs: [], kernelRelease: "", osPrettyName: "", ...over,
        };
        ws.send(encodeEnvelope({ seq: 0, eventId: "", sentAtMs: Date.now(), body: { kind: "hello", value: hello } }));
        return peer.next("welcome");
      },
      event(seq, body, eventId = randomUUID()) {
        ws.send(encodeEnvelope({ seq, eventId, sentAtMs: Date.now(), body: body ?? jobBody("raw", seq) }));
        return eventId;
      },
      send(data) {
        ws.send(data, { binary: typeof data !== "string" });
      },
      next<K extends ServerBodyKind>(kind: K, match: (m: ServerBodies[K]) => boolean = () => true, timeoutMs = 10_000): Promise<ServerBodies[K]> {
        let seen = 0;
        return new Promise<ServerBodies[K]>((res, rej) => {
          const check = () => {
            for (; seen < received.length; seen++) {
              const m = received[seen]!;
              if (m.kind === kind && match(m.value as ServerBodies[K])) {
                cleanup();
                return res(m.value as ServerBodies[K]);
              }
            }
            if (closedInfo) {
              cleanup();
              rej(new Error(`connection closed (${closedInfo.code} ${closedInfo.reason}) before a ${kind}; got ${JSON.stringify(received)}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            rej(new Error(`no ${kind} within ${timeoutMs} ms; got ${JSON.stringify(received)}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      },
      close() {
        ws.close(1000, "test done");
      },
    };
    ws.on("open", () => resolve(peer));
  });
}

/** The collector's counters from GET /v1/stats, with the admin token from its data directory. */
export async function collectorStats(collectorUrl: string, dataDir: string): Promise<Record<string, unknown> & { authFailures: number; throttled: number; commitFailures: number; protocolErrors: Record<string, number> }> {
  const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
  const res = await fetch(`${collectorUrl}/v1/stats`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /v1/stats answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as never;
}

/** The JSON log lines of a process's output (non-JSON lines are skipped). */
export function logLines(output: string): { level: number; msg: string; [k: string]: unknown }[] {
  return output.split("\n").flatMap((l) => {
    if (!l.startsWith("{")) return [];
    try {
      return [JSON.parse(l) as { level: number; msg: string }];
    } catch {
      return [];
    }
  });
}
