// Matrix channel against a homeserver written in the test per the client-server API v3 spec
// (test/helpers/matrix-homeserver.ts), on loopback.
import { parse as parseToml } from "smol-toml";
import { afterEach, describe, expect, it } from "vitest";
import { createNotifiers, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import { MatrixNotifier, matrixTxnId } from "../../../collector/notify/matrix.js";
import { NotifyError } from "../../../collector/notify/notifier.js";
import { startMatrixHomeserver } from "../../helpers/matrix-homeserver.js";
import type { MatrixHomeserver, MatrixHomeserverOptions } from "../../helpers/matrix-homeserver.js";
import { hostSilentAlerts } from "../../helpers/sample-alerts.js";

const TOKEN = "syt_bot_token_0123456789";
const BOT = "@lastseen:example.org";
const ROOM = "!abcdef:example.org";

const servers: MatrixHomeserver[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function homeserver(rooms: MatrixHomeserverOptions["rooms"] = [{ roomId: ROOM, members: [BOT] }]): Promise<MatrixHomeserver> {
  const hs = await startMatrixHomeserver({ users: { [TOKEN]: BOT }, rooms });
  servers.push(hs);
  return hs;
}

function channel(hs: MatrixHomeserver, room = ROOM, token = TOKEN, name = "matrix"): MatrixNotifier {
  return new MatrixNotifier({ name, homeserver: `${hs.url}/`, accessToken: token, room, timeoutMs: 5000, now: () => new Date("2026-11-27T03:00:00Z") });
}

async function rejection(p: Promise<unknown>): Promise<NotifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotifyError);
  return err as NotifyError;
}

const sends = (hs: MatrixHomeserver) => hs.requests.filter((r) => r.method === "PUT");

describe("matrix channel", () => {
  it("PUTs an m.room.message with Bearer auth, plain body and HTML formatted_body (config as in the issue)", async () => {
    const hs = await homeserver();
    const toml = `
[[notify.matrix]]
homeserver = "${hs.url}"
access_token_file = "/etc/lastseen/matrix-token"
room = "!abcdef:example.org"
`;
    const cfg = notifyConfigSchema.parse((parseToml(toml) as { notify: unknown }).notify);
    const [n] = createNotifiers(cfg, { secrets: { env: {}, readFile: (p) => (p === "/etc/lastseen/matrix-token" ? `${TOKEN}\n` : "") } });
    expect(n!.name).toBe("matrix");
    const { down } = hostSilentAlerts();
    await n!.init!();
    const receipt = await n!.send(down, 1);

    const [put] = sends(hs);
    const txnId = matrixTxnId(down.flipId, "matrix");
    expect(txnId).toMatch(/^lastseen-[0-9a-f]{64}$/);
    expect(put!.rawPath).toBe(`/_matrix/client/v3/rooms/${encodeURIComponent(ROOM)}/send/m.room.message/${txnId}`);
    expect(put!.segments).toEqual(["_matrix", "client", "v3", "rooms", ROOM, "send", "m.room.message", txnId]);
    expect(put!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(put!.headers["content-type"]).toBe("application/json");
    expect(put!.query).toBe("");
    expect(put!.body).toMatchObject({
      msgtype: "m.text",
      body: `${down.subject}\n\n${down.text}`,
      format: "org.matrix.custom.html",
      formatted_body: `<p><strong>${down.subject}</strong></p>${down.html}`,
      "org.lastseen.alert": { kind: "firing", host: "home", rule: "host.silent", flip_id: down.flipId },
    });
    expect(hs.events).toHaveLength(1);
    expect(hs.events[0]!.type).toBe("m.room.message");
    expect(receipt.id).toBe(hs.events[0]!.eventId);
    // Already a member: no join attempted.
    expect(hs.requests.some((r) => r.segments[3] === "join")).toBe(false);
  });

  it("re-sends the same txnId after a lost response and after a restart; the homeserver keeps one event", async () => {
    const hs = await homeserver();
    const { down, up } = hostSilentAlerts();
    const n1 = channel(hs);
    hs.failNext({ dropAfterProcessing: true });
    const lost = await rejection(n1.send(down, 1));
    expect(lost.retryable).toBe(true);
    expect(hs.events).toHaveLength(1); // the homeserver did store it

    const r2 = await n1.send(down, 2);
    const n2 = channel(hs); // a new process after a restart
    const r3 = await n2.send(down, 3);
    const puts = sends(hs);
    expect(puts).toHaveLength(3);
    expect(new Set(puts.map((p) => p.rawPath)).size).toBe(1);
    expect(hs.events).toHaveLength(1);
    expect(r2.id).toBe(hs.events[0]!.eventId);
    expect(r3.id).toBe(hs.events[0]!.eventId);

    // Another flip, or the same flip on another channel, is another transaction.
    await n2.send(up, 1);
    await channel(hs, ROOM, TOKEN, "matrix-2").send(down, 1);
    expect(hs.events).toHaveLength(3);
    expect(new Set(hs.events.map((e) => e.txnId)).size).toBe(3);
  });

  it("turns 429 M_LIMIT_EXCEEDED into a rate-limit error with retry_after_ms, then delivers with the same txnId", async () => {
    const hs = await homeserver();
    const n = channel(hs);
    const { down } = hostSilentAlerts();
    hs.failNext({ status: 429, retryAfterMs: 1234 });
    const err = await rejection(n.send(down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_RATE_LIMITED");
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(1234);
    expect(err.message).toContain("M_LIMIT_EXCEEDED");
    expect(hs.events).toHaveLength(0);

    await n.send(down, 2);
    const puts = sends(hs);
    expect(puts.map((p) => p.status)).toEqual([429, 200]);
    expect(puts[0]!.rawPath).toBe(puts[1]!.rawPath);
    expect(hs.events).toHaveLength(1);
  });

  it("reads the wait from a Retry-After header when the body has no retry_after_ms (spec v1.10+)", async () => {
    const hs = await homeserver();
    const n = channel(hs);
    hs.failNext({ status: 429, retryAfterHeaderS: 7 });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_RATE_LIMITED");
    expect(err.retryAfterMs).toBe(7000);
  });

  it("treats 5xx as retryable and other 4xx as permanent", async () => {
    const hs = await homeserver();
    const n = channel(hs);
    hs.failNext({ status: 502, errcode: "M_UNKNOWN" });
    const e1 = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(e1.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(e1.retryable).toBe(true);
    hs.failNext({ status: 400, errcode: "M_BAD_JSON", error: "Bad content" });
    const e2 = await rejection(n.send(hostSilentAlerts().down, 2));
    expect(e2.code).toBe("LASTSEEN_ERR_NOTIFY_REJECTED");
    expect(e2.retryable).toBe(false);
    expect(e2.message).toContain("M_BAD_JSON");
  });

  it("resolves an alias and joins an invited room once, at init", async () => {
    const hs = await homeserver([{ roomId: "!ops:example.org", aliases: ["#alerts:example.org"], invited: [BOT] }]);
    const n = channel(hs, "#alerts:example.org");
    await n.init();
    expect(n.roomId).toBe("!ops:example.org");
    expect(hs.members("!ops:example.org")).toContain(BOT);
    await n.send(hostSilentAlerts().down, 1);
    await n.send(hostSilentAlerts().up, 1);

    const paths = hs.requests.map((r) => `${r.method} ${r.segments.slice(3).join("/")}`);
    expect(paths).toEqual([
      "GET account/whoami",
      "GET directory/room/#alerts:example.org",
      "GET joined_rooms",
      "POST join/#alerts:example.org",
      `PUT rooms/!ops:example.org/send/m.room.message/${matrixTxnId(hostSilentAlerts().down.flipId, "matrix")}`,
      `PUT rooms/!ops:example.org/send/m.room.message/${matrixTxnId(hostSilentAlerts().up.flipId, "matrix")}`,
    ]);
    expect(hs.events.map((e) => e.roomId)).toEqual(["!ops:example.org", "!ops:example.org"]);
  });

  it("says clearly that the bot was not invited, with its user id and how to fix it", async () => {
    const hs = await homeserver([{ roomId: "!ops:example.org", aliases: ["#alerts:example.org"] }]);
    const n = channel(hs, "#alerts:example.org");
    const err = await rejection(n.init());
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`the bot ${BOT} was not invited to room #alerts:example.org (!ops:example.org)`);
    expect(err.message).toContain(`/invite ${BOT}`);
    expect(err.message).not.toContain(TOKEN);

    // Once invited, the next attempt joins and delivers.
    hs.invite("!ops:example.org", BOT);
    await n.send(hostSilentAlerts().down, 2);
    expect(hs.events).toHaveLength(1);
  });

  it("reports an unknown alias and a rejected token as config errors without the token", async () => {
    const hs = await homeserver();
    const e1 = await rejection(channel(hs, "#nope:example.org").init());
    expect(e1.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(e1.message).toContain("#nope:example.org does not exist");

    const e2 = await rejection(channel(hs, ROOM, "wrong-token-value").send(hostSilentAlerts().down, 1));
    expect(e2.code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
    expect(e2.retryable).toBe(false);
    expect(e2.message).toContain("M_UNKNOWN_TOKEN");
    expect(e2.message).not.toContain("wrong-token-value");
  });

  it("reports a homeserver that does not answer as retryable", async () => {
    const hs = await homeserver();
    const url = hs.url;
    await hs.close();
    servers.splice(0);
    const n = new MatrixNotifier({ name: "matrix", homeserver: url, accessToken: TOKEN, room: ROOM, timeoutMs: 2000 });
    const err = await rejection(n.send(hostSilentAlerts().down, 1));
    expect(err.code).toBe("LASTSEEN_ERR_NOTIFY_TRANSIENT");
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("ECONNREFUSED");
  });
});
