// Matrix channel: one m.room.message per alert through the client-server API v3
// (https://spec.matrix.org/v1.16/client-server-api/):
//   PUT  /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}   send the event
//   GET  /_matrix/client/v3/account/whoami                               who the token belongs to
//   GET  /_matrix/client/v3/directory/room/{roomAlias}                   alias -> room id
//   GET  /_matrix/client/v3/joined_rooms                                 is the bot a member?
//   POST /_matrix/client/v3/join/{roomIdOrAlias}                         join (needs an invite
//                                                                        unless the room is public)
// The txnId is derived from the flip and the channel name, so a retry, even after a restart,
// re-sends the same txnId and the homeserver answers with the first event_id instead of posting
// the message twice. The access token goes in `Authorization: Bearer` and never in a URL or an
// error message.
import { createHash } from "node:crypto";
import { httpRequest, parseRetryAfter, snippet } from "./http.js";
import type { HttpResponse } from "./http.js";
import { escapeHtml } from "./escape-html.js";
import { NotifyError } from "./notifier.js";
import type { Alert, DeliveryReceipt, Notifier } from "./notifier.js";

export interface MatrixChannelOptions {
  readonly name: string;
  /** Base URL of the homeserver's client-server API, e.g. "https://matrix.example.org". */
  readonly homeserver: string;
  readonly accessToken: string;
  /** A room id ("!abc:example.org") or an alias ("#alerts:example.org"). */
  readonly room: string;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Clock for Retry-After dates. */
  readonly now?: () => Date;
}

/** The content of the m.room.message event for an alert (msgtype m.text, so clients notify). */
export interface MatrixMessageContent {
  readonly msgtype: "m.text";
  readonly body: string;
  readonly format: "org.matrix.custom.html";
  readonly formatted_body: string;
  /** Namespaced machine-readable facts for bots reading the room (custom keys are allowed). */
  readonly "org.lastseen.alert": {
    readonly kind: string;
    readonly host: string;
    readonly rule: string;
    readonly flip_id: string;
    readonly incident_id: string;
    readonly at: string;
  };
}

/** `lastseen-<sha256 hex of channel and flip>`: the same for every attempt of one delivery. */
export function matrixTxnId(flipId: string, channelName: string): string {
  const h = createHash("sha256").update(`${channelName}\0${flipId}`).digest("hex");
  return `lastseen-${h}`;
}

/** The subject becomes the first line (bold in HTML), the alert's text / HTML follow. */
export function matrixMessageContent(alert: Alert): MatrixMessageContent {
  return {
    msgtype: "m.text",
    body: alert.text ? `${alert.subject}\n\n${alert.text}` : alert.subject,
    format: "org.matrix.custom.html",
    formatted_body: `<p><strong>${escapeHtml(alert.subject)}</strong></p>${alert.html}`,
    "org.lastseen.alert": {
      kind: alert.kind,
      host: alert.host,
      rule: alert.rule,
      flip_id: alert.flipId,
      incident_id: alert.incidentId,
      at: alert.at.toISOString(),
    },
  };
}

export class MatrixNotifier implements Notifier {
  readonly type = "matrix" as const;
  readonly name: string;
  private readonly base: string;
  private readonly now: () => Date;
  private ready: Promise<string> | undefined;
  private userId: string | undefined;
  private resolvedRoomId: string | undefined;

  constructor(private readonly opts: MatrixChannelOptions) {
    this.name = opts.name;
    this.base = opts.homeserver.replace(/\/+$/, "");
    this.now = opts.now ?? (() => new Date());
  }

  /** Checks the token, resolves the alias and joins the room if the bot is not a member yet. */
  async init(): Promise<void> {
    await this.ensureReady();
  }

  /** The room id messages go to, once init() has succeeded. */
  get roomId(): string | undefined {
    return this.resolvedRoomId;
  }

  async send(alert: Alert, _attempt: number): Promise<DeliveryReceipt> {
    const roomId = await this.ensureReady();
    const txnId = matrixTxnId(alert.flipId, this.name);
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`;
    const res = await this.call("PUT", path, matrixMessageContent(alert));
    if (res.status === 200) {
      const eventId = (parseJson(res.text) as { event_id?: unknown } | undefined)?.event_id;
      return typeof eventId === "string" ? { id: eventId } : {};
    }
    if (res.status === 403) this.ready = undefined; // kicked or banned: check membership again next time
    throw this.errorFrom(res, `PUT ${path}`);
  }

  private ensureReady(): Promise<string> {
    if (!this.ready) {
      this.ready = this.prepare().catch((err: unknown) => {
        this.ready = undefined;
        throw err;
      });
    }
    return this.ready;
  }

  private async prepare(): Promise<string> {
    const who = await this.call("GET", "/_matrix/client/v3/account/whoami");
    if (who.status !== 200) throw this.errorFrom(who, "GET /_matrix/client/v3/account/whoami");
    const userId = (parseJson(who.text) as { user_id?: unknown } | undefined)?.user_id;
    this.userId = typeof userId === "string" ? userId : "(unknown user)";

    let roomId = this.opts.room;
    if (this.opts.room.startsWith("#")) {
      const path = `/_matrix/client/v3/directory/room/${encodeURIComponent(this.opts.room)}`;
      const res = await this.call("GET", path);
      if (res.status === 404) {
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${this.label()}: the room alias ${this.opts.room} does not exist on ${this.base} (check "room")`, false);
      }
      if (res.status !== 200) throw this.errorFrom(res, `GET ${path}`);
      const id = (parseJson(res.text) as { room_id?: unknown } | undefined)?.room_id;
      if (typeof id !== "string") {
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${this.label()}: GET ${path}: response without room_id`, true);
      }
      roomId = id;
    }

    const joined = await this.call("GET", "/_matrix/client/v3/joined_rooms");
    if (joined.status !== 200) throw this.errorFrom(joined, "GET /_matrix/client/v3/joined_rooms");
    const rooms = (parseJson(joined.text) as { joined_rooms?: unknown } | undefined)?.joined_rooms;
    if (Array.isArray(rooms) && rooms.includes(roomId)) {
      this.resolvedRoomId = roomId;
      return roomId;
    }

    // Not a member: join by what the operator wrote (an alias lets the server find the room).
    const joinPath = `/_matrix/client/v3/join/${encodeURIComponent(this.opts.room)}`;
    const res = await this.call("POST", joinPath, {});
    if (res.status === 403) {
      const err = matrixErrorBody(res.text);
      const room = this.opts.room === roomId ? roomId : `${this.opts.room} (${roomId})`;
      throw new NotifyError(
        "LASTSEEN_ERR_NOTIFY_CONFIG",
        `${this.label()}: the bot ${this.userId} was not invited to room ${room} and cannot join it` +
          ` (${err.errcode ?? "HTTP 403"}${err.error ? `: ${snippet(err.error)}` : ""}).` +
          ` Invite it from a Matrix client (type "/invite ${this.userId}" in the room),` +
          ` then run "lastseen notify test --channel ${this.name}"`,
        false,
      );
    }
    if (res.status !== 200) throw this.errorFrom(res, `POST ${joinPath}`);
    const id = (parseJson(res.text) as { room_id?: unknown } | undefined)?.room_id;
    this.resolvedRoomId = typeof id === "string" ? id : roomId;
    return this.resolvedRoomId;
  }

  private call(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<HttpResponse> {
    return httpRequest({
      method,
      url: `${this.base}${path}`,
      headers: {
        Authorization: `Bearer ${this.opts.accessToken}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.opts.timeoutMs,
      label: `${this.label()}: ${method} ${this.base}${path}`,
    });
  }

  /** Maps a non-success response to a NotifyError (Matrix standard error response). */
  private errorFrom(res: HttpResponse, what: string): NotifyError {
    const err = matrixErrorBody(res.text);
    const detail = `${err.errcode ?? "no errcode"}${err.error ? `: ${snippet(err.error)}` : ""}`;
    const msg = `${this.label()}: ${what} ${this.base} answered HTTP ${res.status} (${detail})`;
    if (res.status === 429) {
      const wait = typeof err.retry_after_ms === "number" && err.retry_after_ms >= 0 ? err.retry_after_ms : parseRetryAfter(res.headers.get("retry-after"), this.now());
      return new NotifyError("LASTSEEN_ERR_NOTIFY_RATE_LIMITED", `${msg}; retry after ${wait ?? "?"} ms`, true, wait);
    }
    if (res.status === 401) {
      return new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${msg}: the access token was rejected (check access_token_file / access_token_env)`, false);
    }
    if (res.status >= 500) {
      return new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", msg, true, parseRetryAfter(res.headers.get("retry-after"), this.now()));
    }
    return new NotifyError("LASTSEEN_ERR_NOTIFY_REJECTED", msg, false);
  }

  private label(): string {
    return `matrix channel "${this.name}"`;
  }
}

interface MatrixErrorBody {
  errcode?: string;
  error?: string;
  retry_after_ms?: number;
}

function matrixErrorBody(text: string): MatrixErrorBody {
  const v = parseJson(text);
  if (!v || typeof v !== "object") return {};
  const o = v as Record<string, unknown>;
  return {
    errcode: typeof o.errcode === "string" ? o.errcode : undefined,
    error: typeof o.error === "string" ? o.error : undefined,
    retry_after_ms: typeof o.retry_after_ms === "number" ? o.retry_after_ms : undefined,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined; // not JSON: the caller reports the status
    throw err;
  }
}
