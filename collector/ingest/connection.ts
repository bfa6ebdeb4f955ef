// One agent connection: Hello/Welcome, heartbeats, spooled events handed to the committer,
// acks back, and everything that ends a connection (protocol violations, liveness, shutdown).
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type WebSocket from "ws";
import { decodeEnvelope, encodeServerMessage } from "../../proto/codec.js";
import { addressFamily } from "../../proto/ip.js";
import { ProtocolError } from "../../proto/errors.js";
import type { Envelope, Heartbeat, Hello, ServerMessage } from "../../proto/types.js";
import type { Clock } from "../clock.js";
import type { CollectorStats } from "../stats.js";
import type { Store } from "../store/store.js";
import { CLOSE } from "./close-codes.js";
import type { CommitTarget, Committer } from "./committer.js";
import { isSpooledKind } from "./handlers/index.js";
import type { Liveness } from "./liveness.js";
import { TokenBucket } from "./rate-limit.js";

export interface ConnectionDeps {
  store: Store;
  committer: Committer;
  liveness: Liveness;
  clock: Clock;
  log: Logger;
  stats: CollectorStats;
  limits: { helloTimeoutMs: number; pingIntervalMs: number; messagesPerSecond: number; messageBurst: number };
  stunPort: number;
  /** A Hello arrived: the connection is ready (the server uses this to replace older ones). */
  onReady(conn: AgentConnection): void;
  onClose(conn: AgentConnection): void;
  /** A Hello was stored: the peer address it came from, and what the agent declared. */
  onHello?(hostId: number, hello: Hello, address: string, family: 4 | 6 | 0, at: number): void;
  /** Any message arrived from the host. */
  onSeen?(hostId: number): void;
}

/** Longest single pause of a throttled connection. */
const MAX_PAUSE_MS = 5000;

export class AgentConnection implements CommitTarget {
  readonly hostId: number;
  streamId = "";
  private ready = false;
  private closed = false;
  /** Highest seq received on this connection (or the high-water mark announced in Welcome). */
  private lastSeq = 0;
  private readonly bucket: TokenBucket;
  private helloTimer: NodeJS.Timeout | null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private paused = false;
  private readonly log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    readonly hostName: string,
    readonly address: string,
    private readonly d: ConnectionDeps,
  ) {
    this.hostId = d.store.hosts.ensure(hostName, d.clock.now());
    this.log = d.log.child({ host: hostName, address });
    this.bucket = new TokenBucket(d.limits.messagesPerSecond, d.limits.messageBurst, d.clock.now());
    d.stats.connectionsOpened++;
    ws.binaryType = "nodebuffer";
    ws.on("message", (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on("pong", () => { this.awaitingPong = false; });
    ws.on("close", (code, reason) => this.onClosed(code, reason.toString()));
    ws.on("error", (err) => {
      // ws closes the connection itself for frames it refuses (over maxPayload: 1009, bad framing: 1002).
      const code = (err as { code?: string }).code;
      if (code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
        this.d.stats.framesRejected++;
        this.d.stats.protocolError("LASTSEEN_ERR_FRAME_TOO_LARGE");
      }
      this.log.warn({ err, code }, "connection error");
    });
    this.helloTimer = setTimeout(() => this.close(CLOSE.policyViolation, "no Hello within the handshake timeout"), d.limits.helloTimeoutMs);
    this.pingTimer = setInterval(() => this.ping(), d.limits.pingIntervalMs);
  }

  private ping(): void {
    // While we deliberately stop reading (throttling), a pong cannot be seen: no verdict then.
    if (this.paused) {
      this.awaitingPong = false;
      return;
    }
    if (this.awaitingPong) {
      this.d.stats.livenessTimeouts++;
      this.log.warn("no pong to the last ping: dropping the connection");
      this.ws.terminate();
      return;
    }
    this.awaitingPong = true;
    this.ws.ping();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.d.stats.framesReceived++;
    const now = this.d.clock.now();
    const wait = this.bucket.take(now);
    if (wait > 0) this.throttle(wait);
    if (!isBinary) return this.violation("LASTSEEN_ERR_FRAME_MALFORMED", CLOSE.unsupportedData, "text frames are not accepted; send binary protobuf frames");
    let env: Envelope;
    try {
      env = decodeEnvelope(data);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return this.badFrame(err);
    }
    this.d.liveness.seen(this.hostId, now);
    this.d.onSeen?.(this.hostId);
    const { body } = env;
    if (!this.ready && body.kind !== "hello") {
      return this.violation("LASTSEEN_ERR_FRAME_INVALID", CLOSE.policyViolation, `${body.kind} before Hello`);
    }
    try {
      switch (body.kind) {
        case "hello": return this.onHello(body.value, now);
        case "heartbeat": return this.onHeartbeat(body.value);
        default: return this.onSpooled(env, data);
      }
    } catch (err) {
      // A store write failed (disk full, I/O error). Thrown from a socket event it would end the
      // whole collector; it ends only this connection, and the agent retries later.
      this.log.error({ err, kind: body.kind }, "cannot handle a message: store unavailable; closing the connection");
      this.close(CLOSE.tryAgainLater, "store unavailable, retry later");
    }
  }

  private badFrame(err: ProtocolError): void {
    const e = err.envelope;
    // A spooled event whose body is invalid is rejected permanently (and skipped), so one bad
    // event cannot wedge the agent's outbox; anything else ends the connection.
    if (this.ready && e && isSpooledKind(e.kind) && e.seq > this.lastSeq && err.code === "LASTSEEN_ERR_FRAME_INVALID") {
      this.lastSeq = e.seq;
      this.d.stats.framesRejected++;
      this.log.warn({ seq: e.seq, kind: e.kind, code: err.code }, `rejected event: ${err.message}`);
      this.d.committer.submitReject(this, e.seq, e.eventId, err.code, err.message);
      return;
    }
    const code = err.code === "LASTSEEN_ERR_FRAME_EMPTY_BODY" ? CLOSE.unsupportedData
      : err.code === "LASTSEEN_ERR_FRAME_TOO_LARGE" ? CLOSE.tooBig : CLOSE.invalidPayload;
    const reason = err.code === "LASTSEEN_ERR_FRAME_EMPTY_BODY" ? "unknown message kind (is the collector older than the agent?)" : err.message;
    this.violation(err.code, code, reason);
  }

  private violation(code: string, closeCode: number, reason: string): void {
    this.d.stats.framesRejected++;
    this.d.stats.protocolError(code);
    this.log.warn({ code }, `closing connection: ${reason}`);
    this.close(closeCode, reason);
  }

  private onHello(hello: Hello, now: number): void {
    if (this.ready) return this.violation("LASTSEEN_ERR_FRAME_INVALID", CLOSE.policyViolation, "second Hello on one connection");
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    this.d.onReady(this);
    this.streamId = hello.streamId;
    // Commit what an older connection of this host left pending first: the high-water mark read
    // next must include it (and must not be raised afterwards under a new stream id).
    this.d.committer.flush();
    // One commit for everything a Hello changes (a reconnect storm of 1,000 agents is 1,000 of them).
    const hw = this.d.store.transaction(() => {
      const mark = this.d.store.hosts.applyHello(this.hostId, hello, this.address, now);
      this.d.onHello?.(this.hostId, hello, this.address, addressFamily(this.address), now);
      return mark;
    });
    this.d.committer.startStream(this.hostId, hw);
    this.lastSeq = hw;
    this.ready = true;
    this.log.info({ agent: hello.agentVersion, hostname: hello.hostname, highWater: hw }, "agent connected");
    this.send({ kind: "welcome", value: { highWaterSeq: hw, host: this.hostName, serverTimeMs: now, observedAddress: this.address, stunPort: this.d.stunPort } });
  }

  private lastStats = "";

  private onHeartbeat(hb: Heartbeat): void {
    this.d.stats.heartbeats++;
    const stats = `${hb.outboxPending}/${hb.outboxDropped}`;
    if (stats !== this.lastStats) {
      this.lastStats = stats;
      this.d.committer.noteOutboxStats(this.hostId, hb.outboxPending, hb.outboxDropped);
    }
  }

  private onSpooled(env: Envelope, bytes: Uint8Array): void {
    if (env.seq <= this.lastSeq) {
      return this.violation("LASTSEEN_ERR_FRAME_INVALID", CLOSE.policyViolation, `replayed seq ${env.seq} (already have up to ${this.lastSeq})`);
    }
    this.lastSeq = env.seq;
    this.d.committer.submit(this, env, bytes);
  }

  private throttle(waitMs: number): void {
    if (this.paused) return;
    this.paused = true;
    this.d.stats.throttled++;
    // Paused at most a few seconds at a time (the peer's ping watchdog must not fire); a larger
    // debt makes the next message throttle again.
    const retryAfterMs = Math.min(Math.max(waitMs, 100), MAX_PAUSE_MS);
    this.log.warn({ retryAfterMs }, "message rate above the limit: throttling");
    this.send({ kind: "throttle", value: { retryAfterMs } });
    this.socket.pause();
    const resume = () => {
      // Frames read after the pause began (they were already on the wire) added to the debt:
      // stay paused until it is paid.
      const left = this.closed ? 0 : this.bucket.waitMs(this.d.clock.now());
      if (left > 0) return void setTimeout(resume, Math.min(left, MAX_PAUSE_MS)).unref();
      this.paused = false;
      if (!this.closed) this.socket.resume();
    };
    setTimeout(resume, retryAfterMs).unref();
  }

  // ---- CommitTarget ----

  ack(seq: number): void {
    this.send({ kind: "ack", value: { seq } });
  }

  reject(seq: number, eventId: string, code: string, reason: string): void {
    this.send({ kind: "reject", value: { seq, eventId, permanent: true, code, reason } });
  }

  retryLater(firstSeq: number, eventId: string, err: Error): void {
    this.send({ kind: "reject", value: { seq: firstSeq, eventId, permanent: false, code: "LASTSEEN_ERR_STORE_UNAVAILABLE", reason: err.message } });
    this.close(CLOSE.tryAgainLater, "store unavailable, retry later");
  }

  // ----

  private send(msg: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeServerMessage(msg));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason.slice(0, 120));
    // A peer that does not complete the closing handshake is cut off.
    setTimeout(() => this.ws.terminate(), 5000).unref();
    this.markClosed();
  }

  private onClosed(code: number, reason: string): void {
    this.log.info({ code, reason }, "agent disconnected");
    this.markClosed();
  }

  private markClosed(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.helloTimer = this.pingTimer = null;
    if (this.closed) return;
    this.closed = true;
    this.d.stats.connectionsClosed++;
    this.d.onClose(this);
  }

  get isReady(): boolean {
    return this.ready;
  }
}
