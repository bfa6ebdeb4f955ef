// A simulated agent for load generation: one real WebSocket that speaks the protocol as
// agent/transport.ts does (Bearer token on the upgrade, Hello, wait for Welcome, spooled events
// with increasing seq in a window bounded by cumulative acks, heartbeats, Throttle obeyed), without
// the on-disk outbox: its events are encoded up front, as the agent's outbox holds them encoded.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { decodeServerMessage, encodeEnvelope } from "../../../proto/codec.js";
import { LIMITS } from "../../../proto/limits.js";
import type { AgentBody, ServerMessage, Welcome } from "../../../proto/types.js";
import { eventIdMaker, type IdStyle } from "./event-ids.js";
import type { Histogram } from "./stats.js";

export interface SimAgentOptions {
  url: string;
  name: string;
  token: string;
  /** Source address of the TCP connection (127.0.0.2, ... to spread ephemeral ports). */
  localAddress?: string;
  /** Announced in Hello. */
  heartbeatIntervalMs: number;
  timeoutMs?: number;
}

/** A realistic spooled event: the end of a backup job with a short output tail. */
export function jobEndBody(job: string, i: number, now = Date.now()): AgentBody {
  return {
    kind: "jobEvent",
    value: {
      job, runId: randomUUID(), phase: "end", startedAtMs: now - 61_000, endedAtMs: now, exitCode: 0, signal: "",
      outputTail: `backup run ${i}: 1834 files, 52.1 MiB sent, 0 errors\n`, message: "", pid: 4242 + (i % 1000),
    },
  };
}

/**
 * An event whose handler derives nothing: an address report with observations but no accepted
 * address. It measures the path every event takes (decode, raw insert, high-water, ack) alone.
 */
export function rawAddressBody(i: number): AgentBody {
  return {
    kind: "addressReport",
    value: {
      observations: [
        { source: "stun", detail: "collector", address: `203.0.113.${i % 250}`, family: 4, error: "", rttMs: 3 },
        { source: "http", detail: "echo", address: "", family: 0, error: "timeout after 5000 ms", rttMs: 5000 },
      ],
      accepted: [], disagreements: [],
    },
  };
}

export type EventKind = "jobEvent" | "addressReport";

export function encodeHeartbeat(pending = 0, uptimeS = 1000): Uint8Array {
  return encodeEnvelope({ seq: 0, eventId: "", sentAtMs: Date.now(), body: { kind: "heartbeat", value: { outboxPending: pending, outboxDropped: 0, uptimeS } } });
}

export class SimAgent {
  private ws: WebSocket | null = null;
  private welcome: Welcome | null = null;
  /** Highest seq acknowledged by the collector. */
  acked = 0;
  /** Highest seq sent. */
  sentSeq = 0;
  throttles = 0;
  rejects = 0;
  heartbeatsSent = 0;
  closedWith: string | null = null;
  private pausedUntil = 0;
  private frames: Uint8Array[] = [];
  private firstSeq = 1;
  private lastSeq = 0;
  private window = 1000;
  private sendTimes = new Float64Array(0);
  private latency: Histogram | null = null;
  private waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private pings: number[] = [];
  private pingLag: Histogram | null = null;

  constructor(private readonly o: SimAgentOptions) {}

  get highWater(): number {
    return this.welcome?.highWaterSeq ?? 0;
  }

  /** Opens the connection, sends Hello and resolves with the Welcome. */
  connect(): Promise<Welcome> {
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    return new Promise<Welcome>((resolve, reject) => {
      const ws = new WebSocket(this.o.url, {
        headers: { authorization: `Bearer ${this.o.token}` },
        handshakeTimeout: timeoutMs,
        maxPayload: LIMITS.maxFrameBytes,
        perMessageDeflate: false,
        localAddress: this.o.localAddress,
      });
      this.ws = ws;
      ws.binaryType = "nodebuffer";
      let settled = false;
      const fail = (why: string) => {
        this.closedWith ??= why;
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${this.o.name}: ${why}`));
        }
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.o.name}: ${why}`));
      };
      const timer = setTimeout(() => {
        fail(`no Welcome within ${timeoutMs} ms`);
        ws.terminate();
      }, timeoutMs);
      ws.on("unexpected-response", (_req, res) => {
        fail(`the collector answered HTTP ${res.statusCode} to the upgrade`);
        res.resume();
        ws.terminate();
      });
      ws.on("error", (err) => fail(`socket error: ${err.message}`));
      ws.on("close", (code, reason) => fail(`connection closed (${code} ${reason.toString()})`));
      ws.on("open", () => {
        ws.send(encodeEnvelope({
          seq: 0, eventId: "", sentAtMs: Date.now(),
          body: { kind: "hello", value: {
            agentVersion: "bench", hostname: this.o.name, bootId: "00000000-0000-4000-8000-000000000000", heartbeatIntervalMs: this.o.heartbeatIntervalMs,
            streamId: `bench-${this.o.name}`, outboxDropped: 0, jobs: [], kernelRelease: "6.1.0-bench", osPrettyName: "bench",
          } },
        }));
      });
      ws.on("pong", () => this.onPong());
      ws.on("message", (data, isBinary) => {
        let msg: ServerMessage;
        try {
          if (!isBinary) throw new Error("text frame from the collector");
          msg = decodeServerMessage(data as Buffer);
        } catch (err) {
          fail(`bad frame from the collector: ${(err as Error).message}`);
          ws.close(1007, "invalid frame");
          return;
        }
        if (msg.kind === "welcome") {
          this.welcome = msg.value;
          this.acked = this.sentSeq = msg.value.highWaterSeq;
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            resolve(msg.value);
          }
          return;
        }
        this.onServerMessage(msg);
      });
    });
  }

  private onServerMessage(msg: ServerMessage): void {
    switch (msg.kind) {
      case "ack": return this.onAck(msg.value.seq);
      case "reject":
        this.rejects++;
        return;
      case "throttle":
        this.throttles++;
        this.pausedUntil = Date.now() + msg.value.retryAfterMs;
        setTimeout(() => this.pump(), msg.value.retryAfterMs);
        return;
      case "welcome":
        return;
    }
  }

  private onAck(seq: number): void {
    if (seq <= this.acked) return;
    const now = performance.now();
    if (this.latency) {
      for (let s = this.acked + 1; s <= seq; s++) {
        const i = s - this.firstSeq;
        if (i >= 0 && i < this.sendTimes.length && this.sendTimes[i]! > 0) this.latency.add(now - this.sendTimes[i]!);
      }
    }
    this.acked = seq;
    while (this.waiters.length > 0 && this.waiters[0]!.seq <= seq) this.waiters.shift()!.resolve();
    this.pump();
  }

  /** Encodes n job events, seq highWater+1.., ready to stream (not timed: the outbox holds them encoded). */
  prepareEvents(n: number, kind: EventKind = "jobEvent", ids: IdStyle = "random"): void {
    const now = Date.now();
    this.firstSeq = this.sentSeq + 1;
    const body = (i: number) => (kind === "jobEvent" ? jobEndBody("backup", i, now) : rawAddressBody(i));
    const eventId = eventIdMaker(ids);
    this.frames = Array.from({ length: n }, (_, i) => encodeEnvelope({ seq: this.firstSeq + i, eventId: eventId(), sentAtMs: now, body: body(i) }));
    this.sendTimes = new Float64Array(n);
  }

  /** Streams the prepared events within the window; resolves when all are acknowledged. */
  stream(window: number, latency: Histogram): Promise<void> {
    this.window = window;
    this.latency = latency;
    this.lastSeq = this.firstSeq + this.frames.length - 1;
    const done = this.until(this.lastSeq);
    this.pump();
    return done;
  }

  private until(seq: number): Promise<void> {
    if (this.acked >= seq) return Promise.resolve();
    if (this.closedWith) return Promise.reject(new Error(`${this.o.name}: ${this.closedWith}`));
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  private pump(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() < this.pausedUntil) return;
    while (this.sentSeq < this.lastSeq && this.sentSeq - this.acked < this.window && ws.bufferedAmount <= 4 * LIMITS.maxFrameBytes) {
      const seq = ++this.sentSeq;
      const i = seq - this.firstSeq;
      this.sendTimes[i] = performance.now();
      ws.send(this.frames[i]!);
    }
  }

  /** Events not yet acknowledged: what the agent reports as its outbox's pending count. */
  get pending(): number {
    return Math.max(0, Math.max(this.lastSeq, this.firstSeq + this.frames.length - 1) - this.acked);
  }

  /** A heartbeat as the agent sends it, with its outbox's pending count at this moment. */
  sendHeartbeat(frame: Uint8Array = encodeHeartbeat(this.pending)): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(frame);
    this.heartbeatsSent++;
  }

  /**
   * A heartbeat followed by a WebSocket ping: the collector's ws library handles frames in order,
   * so the pong leaves only after the heartbeat was processed; send-to-pong is the heartbeat's lag.
   */
  sendProbedHeartbeat(lag: Histogram): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    this.pingLag = lag;
    ws.send(encodeHeartbeat());
    this.heartbeatsSent++;
    this.pings.push(performance.now());
    ws.ping();
  }

  private onPong(): void {
    const t = this.pings.shift();
    if (t !== undefined && this.pingLag) this.pingLag.add(performance.now() - t);
  }

  /** Pings without an answer: a sign the collector is behind (or dropped us). */
  get unansweredPings(): number {
    return this.pings.length;
  }

  /**
   * `count` heartbeats, then one spooled event as a barrier: its ack proves the collector has
   * processed every heartbeat before it (one connection's frames are handled in order).
   */
  async heartbeatRound(count: number, heartbeat: Uint8Array): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error(`${this.o.name}: not connected (${this.closedWith ?? "closed"})`);
    for (let i = 0; i < count; i++) ws.send(heartbeat);
    this.heartbeatsSent += count;
    const seq = ++this.sentSeq;
    ws.send(encodeEnvelope({ seq, eventId: randomUUID(), sentAtMs: Date.now(), body: jobEndBody("barrier", seq) }));
    this.lastSeq = seq;
    await this.until(seq);
  }

  get connected(): boolean {
    return this.welcome !== null && this.ws?.readyState === WebSocket.OPEN;
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => { ws.terminate(); resolve(); }, 2000);
      ws.once("close", () => { clearTimeout(t); resolve(); });
      this.closedWith ??= "closed by the benchmark";
      ws.close(1001, "agent stopping");
    });
  }
}
