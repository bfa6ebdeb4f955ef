// One HTTP request for the HTTP channels (Matrix, webhook) with node:http(s) and keep-alive
// agents (a storm of alerts reuses connections; node:http costs less CPU per request than
// fetch): a timeout, network failures turned into retryable NotifyErrors, and Retry-After
// parsing. Messages name the channel and a display form of the URL that the caller chose
// (webhook URLs may embed tokens).
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { NotifyError } from "./notifier.js";

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** For error messages: `channel "matrix": PUT https://hs/_matrix/...`. Never holds a secret. */
  readonly label: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 16 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

/** Sends the request; resolves with any HTTP status, rejects only when no response came. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  try {
    return await send(req);
  } catch (err) {
    throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${req.label}: ${describeFetchError(err, req.timeoutMs)}`, true, undefined, { cause: err });
  }
}

function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const lib = url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
    const r = lib.request(url, { method: req.method, headers, agent: agents[url.protocol as "http:" | "https:"], timeout: req.timeoutMs }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    r.on("timeout", () => r.destroy(Object.assign(new Error(`no response within ${req.timeoutMs} ms`), { name: "TimeoutError" })));
    r.on("error", reject);
    r.end(req.body);
  });
}

/** "connection refused (ECONNREFUSED)", "timed out after 30000 ms", ... */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no response within ${timeoutMs} ms`;
  const cause = e?.cause ?? (("code" in (e ?? {})) ? (e as { code?: string; message?: string }) : undefined);
  if (cause?.code) return `request failed (${cause.code}${cause.message && cause !== e ? `: ${cause.message}` : ""})`;
  if (cause?.message) return `request failed (${cause.message})`;
  return `request failed (${e?.message ?? String(err)})`;
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from
 * `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** The first `max` characters of a response body on one line, for error messages. */
export function snippet(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}...` : oneLine;
}

/** scheme://host[:port] of a URL: what error messages show of a webhook URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch (err) {
    return `(invalid URL: ${(err as Error).message})`;
  }
}
