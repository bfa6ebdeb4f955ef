// The agents' WebSocket endpoint: authentication in the HTTP server's 'upgrade' handler (401 and
// destroy on failure, before any WebSocket exists), one AgentConnection per authenticated agent,
// at most one connection per host (a newer one replaces the older).
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import type { Clock } from "../clock.js";
import type { CollectorStats } from "../stats.js";
import type { Store } from "../store/store.js";
import { hashToken } from "../store/tokens.js";
import { authenticateAgent } from "./auth.js";
import { CLOSE } from "./close-codes.js";
import type { Committer } from "./committer.js";
import { AgentConnection, type ConnectionDeps } from "./connection.js";
import type { Liveness } from "./liveness.js";

export const AGENT_PATH = "/v1/agent";

export interface IngestOptions {
  store: Store;
  committer: Committer;
  liveness: Liveness;
  clock: Clock;
  log: Logger;
  stats: CollectorStats;
  limits: ConnectionDeps["limits"] & { maxPayload: number; maxConnections: number };
  stunPort: number;
  /** The client's address as the collector should believe it (trusted proxies applied). */
  clientAddress(req: IncomingMessage): string;
  onHello?: ConnectionDeps["onHello"];
  onSeen?: ConnectionDeps["onSeen"];
  onHostConnected?(hostId: number): void;
  onHostDisconnected?(hostId: number): void;
  /**
   * How often connected agents' tokens are re-checked (default 2 s). `lastseen token revoke` runs
   * in another process and writes the database; a cheap query notices any revocation and the
   * agents whose token it was are disconnected.
   */
  tokenCheckMs?: number;
}

export class Ingest {
  private readonly wss: WebSocketServer;
  private readonly byHost = new Map<number, AgentConnection>();
  private readonly all = new Set<AgentConnection>();
  /** SHA-256 of the token each connection authenticated with (never the token itself). */
  private readonly tokenHash = new Map<AgentConnection, string>();
  private tokenTimer: NodeJS.Timeout | null = null;
  private revokedSeen = -1;

  constructor(private readonly o: IngestOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.limits.maxPayload, perMessageDeflate: false, clientTracking: false });
  }

  attach(server: Server): void {
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.revokedSeen = this.o.store.tokens.revokedCount();
    this.tokenTimer = setInterval(() => this.recheckTokens(), this.o.tokenCheckMs ?? 2000);
    this.tokenTimer.unref();
  }

  /** Disconnects agents whose token was revoked since they connected. */
  recheckTokens(): void {
    try {
      const revoked = this.o.store.tokens.revokedCount();
      if (revoked === this.revokedSeen) return;
      this.revokedSeen = revoked;
      for (const [conn, hash] of this.tokenHash) {
        if (this.o.store.tokens.isActiveHash(hash)) continue;
        this.o.log.warn({ host: conn.hostName, address: conn.address, code: "LASTSEEN_ERR_UNAUTHORIZED" }, "token revoked: closing the agent's connection");
        conn.close(CLOSE.revoked, "token revoked");
      }
    } catch (err) {
      this.o.log.error({ err }, "cannot re-check the agents' tokens; will retry");
    }
  }

  get connectionCount(): number {
    return this.all.size;
  }

  isConnected(hostId: number): boolean {
    return this.byHost.get(hostId)?.isReady ?? false;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on("error", (err) => this.o.log.debug({ err }, "socket error during upgrade"));
    const path = (req.url ?? "").split("?")[0];
    if (path !== AGENT_PATH) return refuse(socket, 404, "Not Found");
    const address = this.o.clientAddress(req);
    let hash = "";
    let auth: ReturnType<typeof authenticateAgent>;
    try {
      auth = authenticateAgent(req, (t) => {
        hash = hashToken(t);
        return this.o.store.tokens.verify(t, this.o.clock.now());
      });
    } catch (err) {
      // The store failed (disk full, I/O error): not the agent's fault, it retries later.
      this.o.log.error({ err, address }, "cannot check an agent's token: store unavailable");
      return refuse(socket, 503, "Service Unavailable");
    }
    if (!auth.ok) {
      this.o.stats.authFailures++;
      // Never the token itself: only why it failed and who tried.
      this.o.log.warn({ address, reason: auth.reason, code: "LASTSEEN_ERR_UNAUTHORIZED", authFailures: this.o.stats.authFailures }, "agent rejected at upgrade: bad or missing token");
      return refuse(socket, 401, "Unauthorized");
    }
    if (this.all.size >= this.o.limits.maxConnections) {
      this.o.log.warn({ host: auth.host }, "connection limit reached");
      return refuse(socket, 503, "Service Unavailable");
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      let conn: AgentConnection;
      try {
        conn = new AgentConnection(ws, socket, auth.host, address, {
          ...this.o,
          onReady: (c) => this.onReady(c),
          onClose: (c) => this.onClose(c),
        });
      } catch (err) {
        this.o.log.error({ err, host: auth.host, address }, "cannot accept the agent: store unavailable");
        ws.on("error", (e) => this.o.log.debug({ err: e, host: auth.host }, "error while closing a refused connection"));
        ws.close(CLOSE.tryAgainLater, "store unavailable, retry later");
        return;
      }
      this.all.add(conn);
      this.tokenHash.set(conn, hash);
    });
  }

  private onReady(conn: AgentConnection): void {
    const older = this.byHost.get(conn.hostId);
    if (older && older !== conn) older.close(CLOSE.replaced, "replaced by a newer connection of the same host");
    this.byHost.set(conn.hostId, conn);
    this.o.onHostConnected?.(conn.hostId);
  }

  private onClose(conn: AgentConnection): void {
    this.all.delete(conn);
    this.tokenHash.delete(conn);
    if (this.byHost.get(conn.hostId) === conn) {
      this.byHost.delete(conn.hostId);
      try {
        this.o.store.hosts.setDisconnected(conn.hostId, this.o.clock.now());
      } catch (err) {
        this.o.log.error({ err, host: conn.hostName }, "cannot record that the agent disconnected: store unavailable");
      }
      this.o.onHostDisconnected?.(conn.hostId);
    }
  }

  /** Closes the connections of a host whose token was revoked. */
  disconnectHost(hostId: number, code: number = CLOSE.revoked, reason = "token revoked"): void {
    this.byHost.get(hostId)?.close(code, reason);
  }

  close(): void {
    if (this.tokenTimer) clearInterval(this.tokenTimer);
    this.tokenTimer = null;
    for (const c of [...this.all]) c.close(CLOSE.goingAway, "collector shutting down");
    this.wss.close();
  }
}

function refuse(socket: Socket, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
