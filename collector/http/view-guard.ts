// The gate in front of the read-only views (status page, /metrics). The routes are registered as
// "public" in the router and call the guard first, because these views take the token from more
// places than the JSON API does:
//
//   Authorization: Bearer TOKEN        scripts, Prometheus (`authorization: credentials_file`)
//   ?token=TOKEN                       once, in a browser: sets an HttpOnly, SameSite=Strict cookie
//                                      and redirects to the same page without the token
//   Cookie: lastseen_view=TOKEN        the browser afterwards (only these GET views read it)
//
// and because a request from this machine may need none (view-access.ts decides).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { bearerToken } from "../ingest/auth.js";
import type { TrustedProxies } from "../ingest/client-address.js";
import { proxyProtocolAddress } from "../ingest/proxy-protocol.js";
import { decideViewAccess, type ViewPolicy, type ViewRole } from "./view-access.js";

export const VIEW_COOKIE = "lastseen_view";
/** How long a browser keeps the token cookie. */
const COOKIE_MAX_AGE_S = 30 * 86_400;

export interface ViewGuardOptions {
  /** Role of a token (read or admin), null for unknown, revoked or other roles. */
  roleOf(token: string): ViewRole | null;
  trustedProxies: TrustedProxies;
  policy: ViewPolicy;
  /** The collector terminates TLS itself (the cookie then gets Secure). */
  tls: boolean;
}

/** How a refused request is answered (an HTML page for the status page, plain text for /metrics). */
export type Refuse = (req: IncomingMessage, res: ServerResponse, reason: string, extraHeaders: Record<string, string | string[]>) => void;

export interface ViewGuard {
  /**
   * True when the request may see the view. Otherwise the guard has answered it (401, or a 303
   * redirect that sets the cookie) and the handler must return without writing.
   */
  admit(req: IncomingMessage, res: ServerResponse, refuse: Refuse): boolean;
}

export function createViewGuard(o: ViewGuardOptions): ViewGuard {
  return {
    admit(req, res, refuse) {
      const url = new URL(req.url ?? "/", "http://collector");
      const secure = o.tls || req.headers["x-forwarded-proto"] === "https";
      const queryToken = url.searchParams.get("token");
      if (queryToken !== null) {
        const role = queryToken === "" ? null : o.roleOf(queryToken);
        if (role === null) {
          refuse(req, res, "the token given in ?token= is unknown or revoked", { "set-cookie": clearCookie(secure) });
          return false;
        }
        url.searchParams.delete("token");
        const rest = url.searchParams.toString();
        // Rebuilt from the path's segments: "//host/x" must not become a protocol-relative redirect.
        const path = "/" + url.pathname.split("/").filter(Boolean).join("/");
        res.writeHead(303, { location: path + (rest ? `?${rest}` : ""), "set-cookie": tokenCookie(queryToken, secure), "cache-control": "no-store", "referrer-policy": "no-referrer" });
        res.end();
        return false;
      }

      const bearer = bearerToken(req);
      let role: ViewRole | null = null;
      if (bearer !== undefined) {
        role = bearer === null ? null : o.roleOf(bearer);
        if (role === null) {
          refuse(req, res, bearer === null ? "the Authorization header is not \"Bearer TOKEN\"" : "the bearer token is unknown or revoked", {});
          return false;
        }
      }
      const extra: Record<string, string | string[]> = {};
      if (role === null) {
        const cookie = cookieValue(req.headers.cookie, VIEW_COOKIE);
        if (cookie !== null) {
          role = o.roleOf(cookie);
          // A revoked token in the cookie is dropped; the request is then judged without one.
          if (role === null) extra["set-cookie"] = clearCookie(secure);
        }
      }
      const decision = decideViewAccess({
        role, peer: req.socket.remoteAddress, headers: req.headers,
        viaProxyProtocol: proxyProtocolAddress(req.socket as Socket) !== undefined,
        trustedProxies: o.trustedProxies, policy: o.policy,
      });
      if (decision.allow) {
        if (extra["set-cookie"]) res.setHeader("set-cookie", extra["set-cookie"]);
        return true;
      }
      refuse(req, res, decision.reason, extra);
      return false;
    },
  };
}

export function tokenCookie(token: string, secure: boolean): string {
  return `${VIEW_COOKIE}=${token}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export function clearCookie(secure: boolean): string {
  return `${VIEW_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** The value of one cookie from a Cookie header, or null. Tokens are URL-safe; nothing is decoded. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_\-.~+/]+=*$/.test(v) ? v : null;
    }
  }
  return null;
}
