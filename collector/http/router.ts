// A small router: method + path pattern ("/v1/hosts/:name") -> handler. JSON in, JSON out.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CollectorError } from "../errors.js";

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The caller's role from its token, or "local" for unauthenticated loopback access where allowed. */
  role: "admin" | "read" | "anonymous";
  body(): Promise<unknown>;
}

export type Handler = (ctx: RequestContext) => unknown | Promise<unknown>;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  /** Least role required. */
  access: "admin" | "read" | "public";
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, access: Route["access"], handler: Handler): this {
    this.routes.push({ method, parts: pattern.split("/").filter(Boolean), handler, access });
    return this;
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | "method" | null {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.parts.every((p, i) => {
        if (p.startsWith(":")) {
          params[p.slice(1)] = parts[i]!;
          return true;
        }
        return p === parts[i];
      });
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) return { route, params };
    }
    return pathMatched ? "method" : null;
  }
}

export function httpStatusOf(err: unknown): number {
  if (!(err instanceof CollectorError)) return 500;
  switch (err.code) {
    case "LASTSEEN_ERR_UNKNOWN_HOST":
    case "LASTSEEN_ERR_NOT_FOUND":
    case "LASTSEEN_ERR_TOKEN_UNKNOWN":
      return 404;
    case "LASTSEEN_ERR_BAD_REQUEST":
    case "LASTSEEN_ERR_BAD_NAME":
    case "LASTSEEN_ERR_CONFIG":
      return 400;
    case "LASTSEEN_ERR_TOKEN_EXISTS":
      return 409;
    case "LASTSEEN_ERR_UNAUTHORIZED":
      return 401;
    default:
      return 500;
  }
}

export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", "request body is not valid JSON");
  }
}
