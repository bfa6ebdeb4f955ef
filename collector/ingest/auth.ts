// Authentication of an agent's upgrade request: `Authorization: Bearer <token>`, checked against
// the hashed agent tokens. The host's identity is the token's name.
import type { IncomingMessage } from "node:http";

export type AuthResult = { ok: true; host: string } | { ok: false; reason: "missing" | "malformed" | "unknown" | "wrong-role" };

export function bearerToken(req: IncomingMessage): string | null | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_\-.~+/]+=*)\s*$/.exec(h);
  return m ? m[1]! : null;
}

export function authenticateAgent(
  req: IncomingMessage,
  verify: (token: string) => { name: string; role: string } | null,
): AuthResult {
  const token = bearerToken(req);
  if (token === undefined) return { ok: false, reason: "missing" };
  if (token === null) return { ok: false, reason: "malformed" };
  const owner = verify(token);
  if (!owner) return { ok: false, reason: "unknown" };
  if (owner.role !== "agent") return { ok: false, reason: "wrong-role" };
  return { ok: true, host: owner.name };
}
