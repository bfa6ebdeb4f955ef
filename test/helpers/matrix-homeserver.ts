// A small Matrix homeserver for tests, on 127.0.0.1 with a free port. It implements exactly the
// client-server API v3 endpoints lastseen uses, as the Matrix specification defines them
// (https://spec.matrix.org/v1.16/client-server-api/), and nothing else:
//
//   GET  /_matrix/client/v3/account/whoami                          -> { user_id, is_guest }
//   GET  /_matrix/client/v3/directory/room/{roomAlias}              -> { room_id, servers } | 404 M_NOT_FOUND
//   GET  /_matrix/client/v3/joined_rooms                            -> { joined_rooms }
//   POST /_matrix/client/v3/join/{roomIdOrAlias}                    -> { room_id } | 403 M_FORBIDDEN (not invited)
//   PUT  /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} -> { event_id } | 403 M_FORBIDDEN (not joined)
//
// Authentication: `Authorization: Bearer <token>` only (the deprecated access_token query
// parameter is refused here on purpose, so a test sees a client that uses it); 401
// M_MISSING_TOKEN / M_UNKNOWN_TOKEN otherwise. Transaction ids are idempotent per access token
// and request path, as the spec requires: a repeated PUT returns the first event_id and stores
// nothing. Rate limiting is the spec's `429 {"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":N}`,
// optionally with a Retry-After header (seconds), as spec v1.10+ also allows. Unknown endpoints
// get 404 M_UNRECOGNIZED. Tests queue failures with failNext().
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FakeRoom {
  readonly roomId: string;
  readonly aliases?: readonly string[];
  /** User ids already joined. */
  readonly members?: readonly string[];
  /** User ids invited (they may join). */
  readonly invited?: readonly string[];
  /** join_rule public: anybody may join. */
  readonly public?: boolean;
}

export interface MatrixHomeserverOptions {
  /** access token -> user id, e.g. { "syt_bot": "@lastseen:example.org" }. */
  readonly users: Readonly<Record<string, string>>;
  readonly rooms: readonly FakeRoom[];
  /** Server name for the `servers` list of alias lookups. Default "example.org". */
  readonly serverName?: string;
}

export interface RecordedMatrixRequest {
  readonly method: string;
  /** Raw path as sent, percent-encoding kept, without the query. */
  readonly rawPath: string;
  /** Path segments, percent-decoded. */
  readonly segments: readonly string[];
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, undefined when none. */
  readonly body: unknown;
  /** Status the server answered (0 when the connection was dropped on purpose). */
  status: number;
}

export interface StoredEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly type: string;
  readonly txnId: string;
  readonly content: Record<string, unknown>;
}

/** Endpoint names for failNext(). */
export type MatrixEndpoint = "whoami" | "directory" | "joined_rooms" | "join" | "send";

export interface MatrixFailure {
  /** Which endpoint the failure applies to. Default "send". */
  readonly endpoint?: MatrixEndpoint;
  /** HTTP status, e.g. 429 or 502. Ignored with dropAfterProcessing. */
  readonly status?: number;
  readonly errcode?: string;
  readonly error?: string;
  /** 429: value of retry_after_ms in the body (omitted when undefined). */
  readonly retryAfterMs?: number;
  /** Retry-After header value in seconds (omitted when undefined). */
  readonly retryAfterHeaderS?: number;
  /** Handle the request normally, then destroy the socket instead of answering ("lost response"). */
  readonly dropAfterProcessing?: boolean;
}

export interface MatrixHomeserver {
  /** http://127.0.0.1:PORT: the `homeserver` setting. */
  readonly url: string;
  readonly requests: RecordedMatrixRequest[];
  /** Every event stored, in order. */
  readonly events: StoredEvent[];
  failNext(failure: MatrixFailure): void;
  invite(roomId: string, userId: string): void;
  /** Joined members of a room. */
  members(roomId: string): string[];
  close(): Promise<void>;
}

interface RoomState {
  roomId: string;
  aliases: Set<string>;
  members: Set<string>;
  invited: Set<string>;
  public: boolean;
}

export async function startMatrixHomeserver(opts: MatrixHomeserverOptions): Promise<MatrixHomeserver> {
  const serverName = opts.serverName ?? "example.org";
  const rooms = new Map<string, RoomState>();
  for (const r of opts.rooms) {
    rooms.set(r.roomId, {
      roomId: r.roomId,
      aliases: new Set(r.aliases ?? []),
      members: new Set(r.members ?? []),
      invited: new Set(r.invited ?? []),
      public: r.public ?? false,
    });
  }
  const requests: RecordedMatrixRequest[] = [];
  const events: StoredEvent[] = [];
  const failures: MatrixFailure[] = [];
  /** token + path -> event_id */
  const txns = new Map<string, string>();
  const sockets = new Set<Socket>();

  const roomByIdOrAlias = (s: string): RoomState | undefined => {
    if (s.startsWith("#")) return [...rooms.values()].find((r) => r.aliases.has(s));
    return rooms.get(s);
  };

  const handle = (req: RecordedMatrixRequest, user: string, token: string): { status: number; body: unknown } => {
    const s = req.segments;
    const base = s.slice(0, 3).join("/");
    if (base !== "_matrix/client/v3") return unrecognized();
    const rest = s.slice(3);
    if (req.method === "GET" && rest.length === 2 && rest[0] === "account" && rest[1] === "whoami") {
      return { status: 200, body: { user_id: user, is_guest: false } };
    }
    if (req.method === "GET" && rest.length === 3 && rest[0] === "directory" && rest[1] === "room") {
      const room = roomByIdOrAlias(rest[2]!);
      if (!rest[2]!.startsWith("#") || !room) return err(404, "M_NOT_FOUND", `Room alias ${rest[2]} not found.`);
      return { status: 200, body: { room_id: room.roomId, servers: [serverName] } };
    }
    if (req.method === "GET" && rest.length === 1 && rest[0] === "joined_rooms") {
      return { status: 200, body: { joined_rooms: [...rooms.values()].filter((r) => r.members.has(user)).map((r) => r.roomId) } };
    }
    if (req.method === "POST" && rest.length === 2 && rest[0] === "join") {
      if (!isJsonObject(req.body)) return err(400, "M_NOT_JSON", "Content not JSON.");
      const room = roomByIdOrAlias(rest[1]!);
      if (!room) return err(404, "M_NOT_FOUND", "No known servers");
      if (!room.members.has(user) && !room.invited.has(user) && !room.public) {
        return err(403, "M_FORBIDDEN", "You are not invited to this room.");
      }
      room.invited.delete(user);
      room.members.add(user);
      return { status: 200, body: { room_id: room.roomId } };
    }
    if (req.method === "PUT" && rest.length === 5 && rest[0] === "rooms" && rest[2] === "send") {
      const [, roomId, , type, txnId] = rest as [string, string, string, string, string];
      const key = `${token}\0${req.rawPath}`;
      const seen = txns.get(key);
      if (seen) return { status: 200, body: { event_id: seen } };
      if (!isJsonObject(req.body)) return err(400, "M_NOT_JSON", "Content not JSON.");
      const room = rooms.get(roomId);
      if (!room || !room.members.has(user)) {
        return err(403, "M_FORBIDDEN", `User ${user} not in room ${roomId}`);
      }
      const eventId = `$${randomBytes(16).toString("base64url")}`;
      txns.set(key, eventId);
      events.push({ eventId, roomId, sender: user, type, txnId, content: req.body });
      return { status: 200, body: { event_id: eventId } };
    }
    return unrecognized();
  };

  const endpointOf = (segments: readonly string[], method: string): MatrixEndpoint | undefined => {
    const r = segments.slice(3);
    if (method === "GET" && r[0] === "account") return "whoami";
    if (method === "GET" && r[0] === "directory") return "directory";
    if (method === "GET" && r[0] === "joined_rooms") return "joined_rooms";
    if (method === "POST" && r[0] === "join") return "join";
    if (method === "PUT" && r[0] === "rooms" && r[2] === "send") return "send";
    return undefined;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const rawPath = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? "" : url.slice(q + 1);
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
      } catch (e) {
        body = { __unparseable: text, __error: (e as Error).message };
      }
      const segments = rawPath.split("/").filter((x) => x.length > 0).map((x) => decodeURIComponent(x));
      const rec: RecordedMatrixRequest = { method: req.method ?? "", rawPath, segments, query, headers: req.headers, body, status: 0 };
      requests.push(rec);

      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        rec.status = status;
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(payload));
      };

      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
      if (/(^|&)access_token=/.test(query)) return reply(400, { errcode: "M_UNRECOGNIZED", error: "access_token in the query string is refused by this test server" });
      if (!auth) return reply(401, { errcode: "M_MISSING_TOKEN", error: "Missing access token" });
      const token = auth[1]!;
      const user = opts.users[token];
      if (!user) return reply(401, { errcode: "M_UNKNOWN_TOKEN", error: "Unrecognised access token", soft_logout: false });

      const endpoint = endpointOf(segments, rec.method);
      const fi = failures.findIndex((f) => (f.endpoint ?? "send") === endpoint);
      const failure = fi >= 0 ? failures.splice(fi, 1)[0] : undefined;
      if (failure && !failure.dropAfterProcessing) {
        const status = failure.status ?? 429;
        const payload: Record<string, unknown> = {
          errcode: failure.errcode ?? (status === 429 ? "M_LIMIT_EXCEEDED" : "M_UNKNOWN"),
          error: failure.error ?? (status === 429 ? "Too many requests" : "Internal server error"),
        };
        if (failure.retryAfterMs !== undefined) payload.retry_after_ms = failure.retryAfterMs;
        const headers: Record<string, string> = failure.retryAfterHeaderS !== undefined ? { "Retry-After": String(failure.retryAfterHeaderS) } : {};
        return reply(status, payload, headers);
      }
      const out = handle(rec, user, token);
      if (failure?.dropAfterProcessing) {
        rec.status = 0;
        req.socket.destroy();
        return;
      }
      reply(out.status, out.body);
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    failNext: (f) => void failures.push(f),
    invite(roomId, userId) {
      const r = rooms.get(roomId);
      if (!r) throw new Error(`matrix-homeserver: no room ${roomId}`);
      r.invited.add(userId);
    },
    members: (roomId) => [...(rooms.get(roomId)?.members ?? [])],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function err(status: number, errcode: string, error: string): { status: number; body: unknown } {
  return { status, body: { errcode, error } };
}

function unrecognized(): { status: number; body: unknown } {
  return err(404, "M_UNRECOGNIZED", "Unrecognized request");
}

function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !("__unparseable" in v);
}
