// How the CLI reaches a collector: --collector URL and --token, or LASTSEEN_COLLECTOR and
// LASTSEEN_ADMIN_TOKEN, or (on the collector's machine, no flags needed) what the running
// collector leaves in its data directory: api.json (its Unix socket and URL) and admin-token.
// A collector with a certificate from a private CA: --ca-file or LASTSEEN_CA_FILE.
import { existsSync, readFileSync } from "node:fs";
import http, { type IncomingMessage, type RequestOptions } from "node:http";
import https from "node:https";
import { defaultDataDir } from "../config.js";
import { readAdminToken, readApiInfo } from "../data-dir.js";
import { CollectorError } from "../errors.js";

export interface ClientOptions {
  data?: string;
  collector?: string;
  token?: string;
  caFile?: string;
}

type Target = { kind: "socket"; path: string; label: string } | { kind: "url"; url: URL; ca?: Buffer; label: string };

export class ApiClient {
  constructor(private readonly target: Target, private readonly token: string | null, private readonly timeoutMs = 10_000) {}

  static resolve(o: ClientOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
    const explicit = o.collector ?? env.LASTSEEN_COLLECTOR;
    const dir = o.data ?? defaultDataDir(env);
    const token = o.token ?? env.LASTSEEN_ADMIN_TOKEN ?? (explicit && !o.data ? null : readAdminToken(dir));
    if (explicit && !o.data) return new ApiClient(urlTarget(explicit, o.caFile ?? env.LASTSEEN_CA_FILE), token);
    const info = readApiInfo(dir);
    if (!info) {
      throw new CollectorError("LASTSEEN_ERR_UNREACHABLE", `no collector is running with data directory ${dir} (no api.json there); start one with \`lastseen serve\`, or pass --collector URL --token TOKEN`);
    }
    if (info.socket && existsSync(info.socket)) return new ApiClient({ kind: "socket", path: info.socket, label: info.socket }, token);
    return new ApiClient(urlTarget(info.url, o.caFile ?? env.LASTSEEN_CA_FILE), token);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    const t = this.target;
    let res: { status: number; text: string };
    try {
      res = await send(t, { method, headers, timeout: this.timeoutMs }, path, payload);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CollectorError("LASTSEEN_ERR_UNREACHABLE", `cannot reach the collector at ${t.label} (${e.code ?? e.message})`, { cause: err });
    }
    let json: unknown;
    try {
      json = res.text ? JSON.parse(res.text) : null;
    } catch {
      throw new CollectorError("LASTSEEN_ERR_API", `the collector at ${t.label} answered ${res.status} with something that is not JSON`);
    }
    if (res.status >= 200 && res.status < 300) return json as T;
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const code = (e?.code ?? (res.status === 401 || res.status === 403 ? "LASTSEEN_ERR_UNAUTHORIZED" : "LASTSEEN_ERR_API")) as CollectorError["code"];
    const hint = res.status === 401 ? " (check --token or the admin-token file in the data directory)" : "";
    throw new CollectorError(code, `${e?.message ?? `HTTP ${res.status}`}${hint}`);
  }
}

function urlTarget(text: string, caFile: string | undefined): Target {
  let url: URL;
  try {
    url = new URL(text.replace(/^ws/, "http"));
  } catch {
    throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", `--collector "${text}" is not a URL (e.g. https://vps.example.org:7070)`);
  }
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw new CollectorError("LASTSEEN_ERR_TLS", `cannot read the CA file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { kind: "url", url, ca, label: url.origin };
}

function send(t: Target, opts: RequestOptions, path: string, payload: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const done = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    };
    const req = t.kind === "socket"
      ? http.request({ ...opts, socketPath: t.path, path }, done)
      : (t.url.protocol === "https:" ? https : http).request(new URL(path, t.url), { ...opts, ca: t.kind === "url" ? t.ca : undefined }, done);
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(payload);
  });
}
