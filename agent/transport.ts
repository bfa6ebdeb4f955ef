// The agent's connection to the collector: Hello/Welcome, heartbeats, streaming the outbox with a
// bounded window, cumulative acks, ping watchdog, and reconnects with backoff and jitter.
// Events are at-least-once: after a reconnect, everything the collector has not acknowledged is
// sent again from the high-water mark it announces in Welcome.
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import WebSocket from "ws";
import { decodeServerMessage, encodeEnvelope } from "../proto/codec.js";
import { ProtocolError } from "../proto/errors.js";
import { LIMITS } from "../proto/limits.js";
import type { Heartbeat, Hello, ServerMessage, Welcome } from "../proto/types.js";
import { Backoff } from "./backoff.js";
import type { Outbox } from "./outbox/outbox.js";

export interface TransportOptions {
  url: string;
  token: string;
  /** PEM of the CA that signed the collector's certificate (else the system CAs). */
  ca?: Buffer;
  heartbeatMs: number;
  outbox: Outbox;
  log: Logger;
  hello(): Omit<Hello, "streamId" | "outboxDropped" | "heartbeatIntervalMs">;
  uptimeS(): number;
  /** Unacknowledged events in flight at most. */
  window?: number;
  handshakeTimeoutMs?: number;
  pingIntervalMs?: number;
  backoff?: Backoff;
}

export interface TransportEvents {
  welcome: [Welcome];
  disconnected: [{ code: number; reason: string }];
}

export class Transport extends EventEmitter<TransportEvents> {
  private ws: WebSocket | null = null;
  private stopped = false;
  private welcomed = false;
  private sendCursor = 0;
  private pumping = false;
  private pausedUntil = 0;
  private timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectedAt = 0;
  private awaitingPong = false;
  private readonly backoff: Backoff;
  private readonly window: number;
  private readonly unsubscribe: () => void;
  private lastLoggedFailure = "";

  constructor(private readonly o: TransportOptions) {
    super();
    this.backoff = o.backoff ?? new Backoff({ baseMs: 1000, capMs: 60_000, minMs: 250 });
    this.window = o.window ?? 1000;
    this.unsubscribe = o.outbox.onAppend(() => void this.pump());
  }

  get connected(): boolean {
    return this.welcomed;
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const o = this.o;
    const ws = new WebSocket(o.url, {
      headers: { authorization: `Bearer ${o.token}` },
      ca: o.ca,
      handshakeTimeout: o.handshakeTimeoutMs ?? 10_000,
      maxPayload: LIMITS.maxFrameBytes,
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.binaryType = "nodebuffer";
    ws.on("unexpected-response", (_req, res) => {
      const why = res.statusCode === 401 ? "the collector refused the token (HTTP 401): check it, or create one with `lastseen token add NAME`" : `the collector answered HTTP ${res.statusCode} to the upgrade`;
      this.logFailure(`upgrade-${res.statusCode}`, why);
      res.resume();
      ws.terminate();
    });
    ws.on("open", () => this.onOpen(ws));
    ws.on("message", (data, isBinary) => this.onMessage(ws, data as Buffer, isBinary));
    ws.on("pong", () => { this.awaitingPong = false; });
    ws.on("error", (err) => this.logFailure((err as NodeJS.ErrnoException).code ?? err.message, `cannot talk to the collector at ${o.url}: ${err.message}`));
    ws.on("close", (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private logFailure(key: string, message: string): void {
    // Repeated identical failures are logged once, then at debug level.
    if (key === this.lastLoggedFailure) this.o.log.debug(message);
    else this.o.log.warn(message);
    this.lastLoggedFailure = key;
  }

  private onOpen(ws: WebSocket): void {
    this.connectedAt = Date.now();
    const hello: Hello = {
      ...this.o.hello(),
      streamId: this.o.outbox.streamId,
      outboxDropped: this.o.outbox.dropped,
      heartbeatIntervalMs: this.o.heartbeatMs,
    };
    ws.send(encodeEnvelope({ seq: 0, eventId: "", sentAtMs: Date.now(), body: { kind: "hello", value: hello } }));
    // The collector must answer with Welcome promptly.
    this.timers.push(setTimeout(() => {
      if (!this.welcomed) {
        this.o.log.warn("no Welcome from the collector; reconnecting");
        ws.terminate();
      }
    }, this.o.handshakeTimeoutMs ?? 10_000));
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws) return;
    let msg: ServerMessage;
    try {
      if (!isBinary) throw new ProtocolError("LASTSEEN_ERR_FRAME_MALFORMED", "text frame from the collector");
      msg = decodeServerMessage(data);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.o.log.error({ code: err.code }, `bad frame from the collector: ${err.message}; reconnecting`);
      ws.close(1007, "invalid frame");
      return;
    }
    switch (msg.kind) {
      case "welcome": return this.onWelcome(msg.value);
      case "ack":
        this.o.outbox.ack(msg.value.seq);
        return void this.pump();
      case "reject":
        if (msg.value.permanent) this.o.log.error({ seq: msg.value.seq, code: msg.value.code }, `the collector rejected an event for good: ${msg.value.reason}`);
        else this.o.log.warn({ seq: msg.value.seq, code: msg.value.code }, `the collector cannot store events now (${msg.value.reason}); will resend`);
        return;
      case "throttle":
        this.pausedUntil = Date.now() + msg.value.retryAfterMs;
        this.o.log.warn({ retryAfterMs: msg.value.retryAfterMs }, "throttled by the collector");
        this.timers.push(setTimeout(() => void this.pump(), msg.value.retryAfterMs));
        return;
    }
  }

  private onWelcome(w: Welcome): void {
    this.welcomed = true;
    this.lastLoggedFailure = "";
    const ob = this.o.outbox;
    // The collector has more of this stream than the outbox holds (damaged tail, restored state
    // directory): continue after it, or every new event would look like a replay.
    if (w.highWaterSeq > ob.headSeq) ob.skipTo(w.highWaterSeq);
    if (w.highWaterSeq > ob.ackedSeq) ob.ack(Math.min(w.highWaterSeq, ob.headSeq));
    // Resend everything after what the collector has (it may have less than we think acked).
    this.sendCursor = Math.min(w.highWaterSeq, ob.headSeq);
    this.o.log.info({ host: w.host, highWater: w.highWaterSeq, pending: ob.pending, observedAddress: w.observedAddress }, "connected to the collector");
    this.emit("welcome", w);
    this.sendHeartbeat();
    this.timers.push(setInterval(() => this.sendHeartbeat(), this.o.heartbeatMs));
    const pingMs = this.o.pingIntervalMs ?? Math.min(30_000, Math.max(5_000, this.o.heartbeatMs * 2));
    this.timers.push(setInterval(() => this.ping(), pingMs));
    void this.pump();
  }

  private ping(): void {
    const ws = this.ws;
    if (!ws) return;
    if (this.awaitingPong) {
      this.o.log.warn("the collector did not answer the last ping; reconnecting");
      ws.terminate();
      return;
    }
    this.awaitingPong = true;
    ws.ping();
  }

  private sendHeartbeat(): void {
    const hb: Heartbeat = { outboxPending: this.o.outbox.pending, outboxDropped: this.o.outbox.dropped, uptimeS: this.o.uptimeS() };
    this.send(encodeEnvelope({ seq: 0, eventId: "", sentAtMs: Date.now(), body: { kind: "heartbeat", value: hb } }));
  }

  private send(bytes: Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(bytes);
    return true;
  }

  /** Sends outbox records while the window allows. */
  private async pump(): Promise<void> {
    if (this.pumping || !this.welcomed || this.stopped) return;
    this.pumping = true;
    try {
      for (;;) {
        const ws = this.ws;
        if (!ws || !this.welcomed || ws.readyState !== WebSocket.OPEN) return;
        if (Date.now() < this.pausedUntil) return;
        const inFlight = this.sendCursor - this.o.outbox.ackedSeq;
        const room = this.window - inFlight;
        if (room <= 0 || ws.bufferedAmount > 4 * LIMITS.maxFrameBytes) return;
        const records = await this.o.outbox.read(Math.max(this.sendCursor, this.o.outbox.ackedSeq), Math.min(room, 256));
        if (records.length === 0 || ws !== this.ws) return;
        for (const r of records) ws.send(r.bytes);
        this.sendCursor = records[records.length - 1]!.seq;
      }
    } catch (err) {
      this.o.log.error({ err }, "cannot read the outbox; retrying on the next ack");
    } finally {
      this.pumping = false;
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    const wasWelcomed = this.welcomed;
    this.ws = null;
    this.welcomed = false;
    this.awaitingPong = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (wasWelcomed) {
      this.o.log.warn({ code, reason }, "disconnected from the collector");
      this.emit("disconnected", { code, reason });
    }
    if (this.stopped) return;
    // A connection that lived a while starts the backoff afresh.
    if (wasWelcomed && Date.now() - this.connectedAt > 10_000) this.backoff.reset();
    const delay = this.backoff.next();
    this.o.log.debug({ delayMs: delay, attempt: this.backoff.attempts }, "reconnecting");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const t of this.timers) clearTimeout(t);
    const ws = this.ws;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { ws.terminate(); resolve(); }, 2000);
      ws.once("close", () => { clearTimeout(t); resolve(); });
      ws.close(1001, "agent stopping");
    });
  }
}
