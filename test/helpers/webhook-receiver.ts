// An HTTP server on 127.0.0.1 (free port) that records every request and answers with queued
// responses (200 by default), plus an independent verifier of lastseen's webhook signature
// (written from docs/notifications.md, not from the production code, so a mismatch fails).
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ReceivedWebhook {
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parsed body, undefined when it is not JSON. */
  readonly json: unknown;
}

export interface WebhookResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT/hook */
  readonly url: string;
  readonly requests: ReceivedWebhook[];
  /** Answers the next requests with these, in order; afterwards 200 again. */
  respondNext(...responses: WebhookResponse[]): void;
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const queue: WebhookResponse[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(rawBody) as unknown;
      } catch {
        json = undefined; // not JSON: tests look at rawBody
      }
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, rawBody, json });
      const r = queue.shift() ?? { status: 200, body: "ok" };
      res.writeHead(r.status, { "Content-Type": "text/plain", ...r.headers });
      res.end(r.body ?? "");
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respondNext: (...r) => void queue.push(...r),
    async waitForRequests(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`webhook-receiver: expected ${n} requests, got ${requests.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return requests.slice(0, n);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface SignatureCheck {
  readonly ok: boolean;
  readonly reason?: string;
}

/**
 * Verifies X-Lastseen-Signature the way a receiver should: HMAC-SHA256 over
 * "<X-Lastseen-Timestamp>.<raw body>", hex, prefixed "sha256=", compared in constant time, and
 * the timestamp no further than toleranceS from nowS.
 */
export function verifyWebhookSignature(req: ReceivedWebhook, secret: string, nowS: number, toleranceS = 300): SignatureCheck {
  const ts = req.headers["x-lastseen-timestamp"];
  const sig = req.headers["x-lastseen-signature"];
  if (typeof ts !== "string" || !/^\d+$/.test(ts)) return { ok: false, reason: "missing or bad X-Lastseen-Timestamp" };
  if (typeof sig !== "string" || !sig.startsWith("sha256=")) return { ok: false, reason: "missing or bad X-Lastseen-Signature" };
  if (Math.abs(nowS - Number(ts)) > toleranceS) return { ok: false, reason: "timestamp outside the tolerance" };
  const expected = Buffer.from(createHmac("sha256", secret).update(`${ts}.${req.rawBody}`).digest("hex"), "utf8");
  const got = Buffer.from(sig.slice("sha256=".length), "utf8");
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { ok: false, reason: "signature mismatch" };
  return { ok: true };
}
