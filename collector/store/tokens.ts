// Token generation and hashing. Tokens are 256-bit random secrets; only their SHA-256 is stored
// (a slow password hash adds nothing for secrets of that entropy), with a short hint for display.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type TokenRole = "agent" | "admin" | "read";

const PREFIX: Record<TokenRole, string> = { agent: "lsa_", admin: "lsk_", read: "lsr_" };

export function generateToken(role: TokenRole): string {
  return PREFIX[role] + randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** What `token list` shows: the prefix and the last 4 characters, never enough to use it. */
export function tokenHint(token: string): string {
  return `${token.slice(0, 4)}…${token.slice(-4)}`;
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
