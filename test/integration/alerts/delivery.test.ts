// Delivery is durable: an SMTP server that answers 451 gets the mail later (backoff), and
// `lastseen alerts` shows the attempts and the last error meanwhile; a 550 ends as "failed" with
// its error visible; a collector killed (SIGKILL) between storing a flip and delivering it
// delivers it once after its restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../../collector/store/db.js";
import { AlertLab, withAlertLab, mailsFor, Relay, sleep, startPeers, waitFor, type Peers } from "./alert-lab.js";

type Flip = Awaited<ReturnType<AlertLab["alerts"]>>["flips"][number];

async function newestFlip(lab: AlertLab, host: string, kind: string, after = 0): Promise<Flip | undefined> {
  return (await lab.alerts()).flips.find((f) => f.id > after && f.host === host && f.kind === kind);
}

describe("delivery retries and failures", () => {
  let peers: Peers;
  let lab: AlertLab;
  withAlertLab("home", { channels: ["email"] }, (p, l) => {
    peers = p;
    lab = l;
  });

  it("451: retried with backoff and delivered later; meanwhile `lastseen alerts` shows attempts and the last error", async () => {
    // Two refusals: the mail waits about 5 s, then about 10 s, and is delivered on the third attempt.
    peers.smtp.failNext({ code: 451, message: "4.3.0 mailbox busy, try later" });
    peers.smtp.failNext({ code: 451, message: "4.3.0 mailbox busy, try later" });
    const killedAt = await lab.killAgent("home");
    const waiting = await waitFor("a failed first attempt", async () => {
      const f = await newestFlip(lab, "home", "firing");
      return f?.notifications[0]?.status === "pending" && f.notifications[0].attempts === 1 ? f : null;
    }, 15_000, 200);
    const n = waiting.notifications[0]!;
    expect(n).toMatchObject({ channel: "email", status: "pending", attempts: 1, deliveredAt: null });
    expect(n.lastError).toMatch(/^LASTSEEN_ERR_NOTIFY_TRANSIENT: email channel "email": sending via smtp:\/\/127\.0\.0\.1:\d+ failed: .*451.*mailbox busy/);
    // First retry after 5 s (+-20 % jitter) from the failure.
    const retryIn = Date.parse(n.nextAttemptAt!) - Date.now();
    expect(retryIn).toBeGreaterThan(0);
    expect(retryIn).toBeLessThanOrEqual(6000);
    expect(mailsFor(peers.smtp, "home")).toEqual([]);
    const text = await lab.cli(["alerts"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("host.silent");
    expect(text.stdout).toMatch(/email:pending \([12]x, LASTSEEN_ERR_NOTIFY_TRANSIENT: .*451/);
    expect(text.stdout).toContain("0 delivered, 1 waiting, 0 failed");
    const second = await waitFor("the second failed attempt", async () => {
      const f = await newestFlip(lab, "home", "firing");
      return f?.notifications[0]?.status === "pending" && f.notifications[0].attempts === 2 ? f.notifications[0] : null;
    }, 15_000, 200);
    // Backoff: the second wait is about twice the first (10 s +-20 %, measured a little late).
    const secondWait = Date.parse(second.nextAttemptAt!) - Date.now();
    expect(secondWait).toBeGreaterThan(4000);
    expect(secondWait).toBeLessThanOrEqual(12_000);

    const mail = await waitFor("the DOWN mail on the third attempt", () => mailsFor(peers.smtp, "home", "firing")[0], 20_000);
    expect(Date.now() - killedAt).toBeGreaterThan(3000 + 4000 + 8000);
    expect(mail.parsed.subject).toMatch(/^DOWN home:/);
    const done = await waitFor("delivered", async () => {
      const f = await newestFlip(lab, "home", "firing");
      return f?.notifications[0]?.status === "delivered" ? f : null;
    }, 5000, 200);
    expect(done.notifications[0]).toMatchObject({ status: "delivered", attempts: 3, lastError: null, nextAttemptAt: null });
    expect(done.notifications[0]!.deliveredAt).not.toBeNull();
    await sleep(1000);
    expect(mailsFor(peers.smtp, "home", "firing")).toHaveLength(1);
  }, 40_000);

  it("550: failed for good, with its error visible", async () => {
    peers.smtp.failNext({ code: 550, message: "5.7.1 relaying denied" });
    await lab.startAgent("home");
    const f = await waitFor("a failed UP", async () => {
      const x = await newestFlip(lab, "home", "resolved");
      return x?.notifications[0]?.status === "failed" ? x : null;
    }, 15_000, 200);
    expect(f.notifications[0]).toMatchObject({ channel: "email", status: "failed", attempts: 1, nextAttemptAt: null, deliveredAt: null });
    expect(f.notifications[0]!.lastError).toMatch(/^LASTSEEN_ERR_NOTIFY_REJECTED: .*550.*relaying denied/);
    const v = await lab.alerts();
    expect(v.deliveries).toMatchObject({ delivered: 1, failed: 1, pending: 0, sending: 0 });
    const text = (await lab.cli(["alerts"])).stdout;
    expect(text).toMatch(/UP home: back after .*email:failed \(1x, LASTSEEN_ERR_NOTIFY_REJECTED: .*550/);
    expect(text).toContain("1 delivered, 0 waiting, 1 failed");
    // Not retried.
    await sleep(7000);
    expect(mailsFor(peers.smtp, "home", "resolved")).toEqual([]);
    expect((await newestFlip(lab, "home", "resolved"))!.notifications[0]).toMatchObject({ status: "failed", attempts: 1 });
  }, 40_000);
});

describe("a collector killed between storing a flip and delivering it", () => {
  let peers: Peers;
  let relay: Relay;
  let lab: AlertLab;
  beforeAll(async () => {
    peers = await startPeers();
    relay = new Relay(peers.smtp.port);
    await relay.start();
    lab = new AlertLab(peers, { channels: ["email"], smtpUrl: relay.url });
    await lab.start();
    lab.addHost("crash");
    await lab.startAgent("crash");
  });
  afterAll(async () => {
    await lab?.close();
    await relay?.close();
    await peers?.close();
  });

  it("delivers it once after the restart", async () => {
    relay.holding = true; // the SMTP connection opens but the greeting never comes
    await lab.killAgent("crash");
    await waitFor("the DOWN stored and its delivery under way", () => relay.held.length > 0, 15_000);
    await sleep(200);
    await lab.stop("SIGKILL");
    const db = openDb(`${lab.data}/lastseen.db`, { readonly: true });
    try {
      const rows = db.prepare("SELECT n.status, n.attempts, f.kind FROM notifications n JOIN flips f ON f.id = n.flip_id").all();
      expect(rows).toEqual([{ status: "sending", attempts: 1, kind: "firing" }]);
    } finally {
      db.close();
    }
    for (const s of relay.held) s.destroy();
    relay.holding = false;
    const restartedAt = Date.now();
    await lab.start();
    const mail = await waitFor("the DOWN mail after the restart", () => mailsFor(peers.smtp, "crash", "firing")[0], 10_000, 20);
    // Right away, not after the 2-minute claim lease.
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    expect(mail.parsed.subject).toMatch(/^DOWN crash: silent since/);
    await sleep(4000);
    expect(mailsFor(peers.smtp, "crash")).toHaveLength(1);
    const flips = (await lab.alerts()).flips;
    expect(flips.map((f) => f.kind)).toEqual(["firing"]);
    expect(flips[0]!.notifications[0]).toMatchObject({ status: "delivered", attempts: 2 });
    expect(lab.collector!.output()).toContain("notifications interrupted by the previous run are due again");
  }, 60_000);
});
