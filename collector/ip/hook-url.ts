// Calls the `url` of an on-change hook: POST of {host, address, family, previous, at} as JSON.
// Any 2xx = ok; redirects are not followed (a 3xx is a failure, since a moved endpoint must be
// fixed in the config). Credentials in the URL (https://user:pass@dyn.example/...) are sent as
// Basic authentication, since fetch refuses them in the URL. Messages show only the URL's origin:
// its path or query may hold a token.
import { describeFetchError, originOf, snippet } from "../notify/http.js";
import { VERSION } from "../../proto/version.js";
import { IpHookError } from "./errors.js";

export interface HookPayload {
  host: string;
  address: string;
  family: 4 | 6;
  /** The address before this one, or null for the first one known. */
  previous: string | null;
  /** When the address changed (ISO 8601). */
  at: string;
}

export interface HookUrlOptions {
  readonly url: string;
  readonly payload: HookPayload;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** For messages: `host home, IPv4`. */
  readonly label: string;
}

export interface HookUrlResult {
  status: number;
}

export async function postHookUrl(o: HookUrlOptions): Promise<HookUrlResult> {
  const what = `on_ip_change url POST ${originOf(o.url)} for ${o.label}`;
  let target: URL;
  try {
    target = new URL(o.url);
  } catch (err) {
    throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what}: not a URL`, { cause: err });
  }
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": `lastseen/${VERSION}` };
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const pass = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(target, { method: "POST", headers, body: JSON.stringify(o.payload), redirect: "manual", signal });
    text = await res.text();
  } catch (err) {
    if (timeout.aborted) throw new IpHookError("LASTSEEN_ERR_IP_HOOK_TIMEOUT", `${what}: no answer within ${o.timeoutMs} ms`, { cause: err });
    if (o.signal?.aborted) throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what}: stopped with the collector`, { cause: err });
    throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what}: ${describeFetchError(err, o.timeoutMs)}`, { cause: err });
  }
  if (res.status < 200 || res.status > 299) {
    const body = snippet(text);
    throw new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what}: answered HTTP ${res.status}${body ? `: ${body}` : ""}`);
  }
  return { status: res.status };
}
