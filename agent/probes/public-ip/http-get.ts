// A bounded HTTP(S) request for the HTTP echo and UPnP sources: one request, no redirects, a size
// cap on the body (checked on Content-Length and while streaming), a deadline, and the address
// family of the connection pinned when asked.
import http from "node:http";
import https from "node:https";
import { PublicIpError } from "./errors.js";

export interface BoundedRequest {
  readonly url: URL;
  readonly method?: "GET" | "POST";
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** 4 or 6 pins the connection's family (passed to the resolver), 0 lets the system choose. */
  readonly family?: 0 | 4 | 6;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface BoundedResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The address the connection went to. */
  readonly remoteAddress: string | undefined;
}

export function boundedRequest(req: BoundedRequest): Promise<BoundedResponse> {
  const where = req.url.origin;
  const mod = req.url.protocol === "https:" ? https : req.url.protocol === "http:" ? http : null;
  if (!mod) return Promise.reject(new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `${req.url.href}: only http and https URLs are supported`));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.destroy();
      reject(err);
    };
    const headers: Record<string, string> = { "user-agent": "lastseen-agent", connection: "close", ...req.headers };
    if (req.body !== undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
    const r = mod.request(req.url, {
      method: req.method ?? "GET",
      headers,
      family: req.family || undefined,
      signal: req.signal,
      agent: false,
    });
    const timer = setTimeout(() => fail(new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", `no complete answer from ${where} within ${req.timeoutMs} ms`)), req.timeoutMs);
    r.on("error", (err) => {
      fail(err.name === "AbortError"
        ? new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", `${where}: aborted`)
        : new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `${where}: ${err.message}`, { cause: err }));
    });
    r.on("response", (res) => {
      const declared = Number(res.headers["content-length"] ?? "0");
      if (declared > req.maxBytes) {
        fail(new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `${where}: Content-Length ${declared} exceeds ${req.maxBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > req.maxBytes) {
          fail(new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `${where}: body longer than ${req.maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on("error", (err) => fail(new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `${where}: ${err.message}`, { cause: err })));
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), remoteAddress: res.socket?.remoteAddress });
      });
    });
    r.end(req.body);
  });
}
