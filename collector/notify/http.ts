// One HTTP request for the HTTP channels (Matrix, webhook) with Node's global fetch: a timeout,
// network failures turned into retryable NotifyErrors, and Retry-After parsing. Messages name the
// channel and a display form of the URL that the caller chose (webhook URLs may embed tokens).
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

/** Sends the request; resolves with any HTTP status, rejects only when no response came. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  } catch (err) {
    throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${req.label}: ${describeFetchError(err, req.timeoutMs)}`, true, undefined, { cause: err });
  }
}

/** "connection refused (ECONNREFUSED)", "timed out after 30000 ms", ... */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no response within ${timeoutMs} ms`;
  const cause = e?.cause;
  if (cause?.code) return `request failed (${cause.code}${cause.message ? `: ${cause.message}` : ""})`;
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
