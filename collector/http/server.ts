// The collector's one HTTP(S) server: the agents' WebSocket endpoint (via 'upgrade'), the JSON
// API, health and metrics. TLS is terminated here when cert and key files are configured; they
// are re-read on reload() (SIGHUP) without dropping connections.
import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { Logger } from "pino";
import { CollectorError } from "../errors.js";
import { bearerToken } from "../ingest/auth.js";
import { httpStatusOf, readJsonBody, type RequestContext, type Router } from "./router.js";

export interface HttpOptions {
  router: Router;
  log: Logger;
  tls?: { certFile: string; keyFile: string };
  handshakeTimeoutMs: number;
  /** Role of a bearer token, or null when unknown. */
  roleOf(token: string): "admin" | "read" | null;
}

export type CollectorServer = http.Server & { reloadTls(): void };

export function createHttpServer(o: HttpOptions): CollectorServer {
  const handler = (req: IncomingMessage, res: ServerResponse) => void handle(o, req, res);
  let server: http.Server;
  if (o.tls) {
    const tls = o.tls;
    const s = https.createServer(readTls(tls), handler);
    server = Object.assign(s, { reloadTls: () => s.setSecureContext(readTls(tls)) });
  } else {
    server = Object.assign(http.createServer(handler), { reloadTls: () => undefined });
  }
  // Bounds on slow clients: the upgrade request must arrive completely within the handshake timeout.
  server.headersTimeout = o.handshakeTimeoutMs;
  server.requestTimeout = Math.max(o.handshakeTimeoutMs, 30_000);
  server.keepAliveTimeout = 5_000;
  return server as CollectorServer;
}

/**
 * The same API on a Unix socket in the data directory (mode 0600): the CLI on the collector's
 * machine uses it, whatever TLS certificate or address the public listener has.
 */
export function createLocalServer(o: Omit<HttpOptions, "tls">): http.Server {
  const server = http.createServer((req, res) => void handle(o, req, res));
  server.requestTimeout = 30_000;
  return server;
}

function readTls(t: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CollectorError("LASTSEEN_ERR_TLS", `cannot read tls.${key} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { cert: read(t.certFile, "cert_file"), key: read(t.keyFile, "key_file") };
}

async function handle(o: HttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://collector");
  try {
    const m = o.router.match(req.method ?? "GET", url.pathname);
    if (m === null) throw new CollectorError("LASTSEEN_ERR_NOT_FOUND", `no such endpoint: ${url.pathname}`);
    if (m === "method") return send(res, 405, { error: { code: "LASTSEEN_ERR_BAD_REQUEST", message: `method ${req.method} not allowed` } });
    const token = bearerToken(req);
    const role = token ? o.roleOf(token) : null;
    if (m.route.access !== "public") {
      if (!role) {
        return send(res, 401, { error: { code: "LASTSEEN_ERR_UNAUTHORIZED", message: token ? "unknown or revoked token" : "missing Authorization: Bearer token" } });
      }
      if (m.route.access === "admin" && role !== "admin") {
        return send(res, 403, { error: { code: "LASTSEEN_ERR_UNAUTHORIZED", message: "this needs the admin token" } });
      }
    }
    const ctx: RequestContext = {
      req, res, params: m.params, query: url.searchParams, role: role ?? "anonymous",
      body: () => readJsonBody(req),
    };
    const result = await m.route.handler(ctx);
    if (res.headersSent || res.writableEnded) return;
    send(res, 200, result);
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 500) o.log.error({ err, path: url.pathname }, "API request failed");
    const code = err instanceof CollectorError ? err.code : "LASTSEEN_ERR_API";
    send(res, status, { error: { code, message: (err as Error).message } });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body ?? null);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json), "cache-control": "no-store" });
  res.end(json);
}
