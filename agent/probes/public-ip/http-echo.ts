// HTTP(S) echo source: a URL that answers with the caller's address as plain text. Parsing is strict
// because such services are known to return HTML, JSON, headers or an address of the other family:
// status 200, no redirect, a text/plain (or absent) content type, a small body that is exactly one
// address once trimmed, and a connection pinned to the family asked about.
import { isIP } from "node:net";
import { normalizeAddress } from "../../../proto/ip.js";
import { PublicIpError } from "./errors.js";
import { boundedRequest } from "./http-get.js";

export interface HttpEchoOptions {
  readonly url: string;
  readonly family: 4 | 6;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Largest body accepted. An address is at most 45 characters; a newline or two may follow. */
  readonly maxBytes?: number;
}

/** Whether the URL can be asked over this family (an IP-literal host fixes the family). */
export function urlFitsFamily(url: string, family: 4 | 6): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  const literal = isIP(host);
  return literal === 0 || literal === family;
}

export async function httpEcho(opts: HttpEchoOptions): Promise<string> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch (err) {
    throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${opts.url}" is not a URL`, { cause: err });
  }
  if (!urlFitsFamily(opts.url, opts.family)) {
    throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `${url.host} is an address of the other family than IPv${opts.family}`);
  }
  const res = await boundedRequest({
    url,
    family: opts.family,
    headers: { accept: "text/plain" },
    maxBytes: opts.maxBytes ?? 128,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
  if (res.status !== 200) throw new PublicIpError("LASTSEEN_ERR_IP_SERVER_ERROR", `${url.origin} answered HTTP ${res.status}`);
  const type = (res.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "" && type !== "text/plain") {
    throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `${url.origin} answered ${type}, not text/plain`);
  }
  const text = res.body.toString("utf8").trim();
  // Exactly one address: nothing but address characters, and a valid address at that.
  const addr = /^[0-9A-Fa-f:.]{2,45}$/.test(text) ? normalizeAddress(text) : null;
  if (addr === null) {
    throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `${url.origin} answered ${JSON.stringify(text.slice(0, 48))}, which is not exactly one IP address`);
  }
  return addr;
}
