// How the CLI reaches a collector: --collector URL and --token, or LASTSEEN_COLLECTOR and
// LASTSEEN_ADMIN_TOKEN, or (on the collector's machine, no flags needed) the api.json and
// admin-token files the running collector leaves in its data directory.
import { defaultDataDir } from "../config.js";
import { readAdminToken, readApiInfo } from "../data-dir.js";
import { CollectorError } from "../errors.js";

export interface ClientOptions {
  data?: string;
  collector?: string;
  token?: string;
}

export class ApiClient {
  constructor(readonly baseUrl: string, private readonly token: string | null, private readonly timeoutMs = 10_000) {}

  static resolve(o: ClientOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
    const dir = o.data ?? defaultDataDir(env);
    const url = o.collector ?? env.LASTSEEN_COLLECTOR ?? readApiInfo(dir)?.url;
    if (!url) {
      throw new CollectorError("LASTSEEN_ERR_UNREACHABLE", `no collector is running with data directory ${dir} (no api.json there); start one with \`lastseen serve\`, or pass --collector URL --token TOKEN`);
    }
    const token = o.token ?? env.LASTSEEN_ADMIN_TOKEN ?? readAdminToken(dir);
    return new ApiClient(url.replace(/^ws/, "http").replace(/\/+$/, ""), token);
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  async delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CollectorError("LASTSEEN_ERR_UNREACHABLE", `cannot reach the collector at ${this.baseUrl} (${cause})`, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      throw new CollectorError("LASTSEEN_ERR_API", `the collector at ${this.baseUrl} answered ${res.status} with something that is not JSON`);
    }
    if (res.ok) return json as T;
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const code = (e?.code ?? (res.status === 401 || res.status === 403 ? "LASTSEEN_ERR_UNAUTHORIZED" : "LASTSEEN_ERR_API")) as CollectorError["code"];
    const hint = res.status === 401 ? " (check --token or the admin-token file in the data directory)" : "";
    throw new CollectorError(code, `${e?.message ?? `HTTP ${res.status}`}${hint}`);
  }
}
