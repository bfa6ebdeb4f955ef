// Tokens: per-host agent tokens, the admin token and read-only tokens, stored hashed.
import { CollectorError, checkName } from "../errors.js";
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";
import { generateToken, hashToken, tokenHint, type TokenRole } from "./tokens.js";

export interface TokenInfo {
  id: number;
  name: string;
  role: TokenRole;
  hint: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

interface TokenRow {
  id: number; name: string; role: TokenRole; hint: string;
  created_at: number; revoked_at: number | null; last_used_at: number | null;
}

const toInfo = (r: TokenRow): TokenInfo => ({
  id: r.id, name: r.name, role: r.role, hint: r.hint,
  createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at,
});

export class TokenRepo {
  private readonly prep: Prepare;
  private readonly byHash;
  private readonly activeByName;
  private readonly insertStmt;
  private readonly touchStmt;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
    this.byHash = db.prepare<[string], TokenRow>("SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL");
    this.activeByName = db.prepare<[string, string], TokenRow>("SELECT * FROM tokens WHERE name = ? AND role = ? AND revoked_at IS NULL");
    this.insertStmt = db.prepare("INSERT INTO tokens (name, role, hash, hint, created_at) VALUES (?, ?, ?, ?, ?)");
    this.touchStmt = db.prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?");
  }

  /** Creates a token and returns it: the only time the secret exists outside the caller. */
  add(name: string, role: TokenRole, now: number, opts: { additional?: boolean } = {}): string {
    checkName(name, role === "agent" ? "host name" : "token name");
    if (!opts.additional && this.activeByName.get(name, role)) {
      throw new CollectorError(
        "LASTSEEN_ERR_TOKEN_EXISTS",
        `${name} already has an active ${role} token: revoke it first (lastseen token revoke ${name}) or add another with --additional`,
      );
    }
    const token = generateToken(role);
    this.insertStmt.run(name, role, hashToken(token), tokenHint(token), now);
    return token;
  }

  /** The token's owner, or null when unknown or revoked. */
  verify(token: string, now: number): { name: string; role: TokenRole } | null {
    const row = this.byHash.get(hashToken(token));
    if (!row) return null;
    // last_used_at is informational: one write per minute per token at most.
    if (row.last_used_at === null || now - row.last_used_at > 60_000) this.touchStmt.run(now, row.id);
    return { name: row.name, role: row.role };
  }

  /** Whether the token with this hash is still active (no side effects). */
  isActiveHash(hash: string): boolean {
    return this.byHash.get(hash) !== undefined;
  }

  /** How many tokens were ever revoked: it changes whenever a token is revoked (by any process). */
  revokedCount(): number {
    return this.prep<[], { n: number }>("SELECT count(*) AS n FROM tokens WHERE revoked_at IS NOT NULL").get()!.n;
  }

  list(): TokenInfo[] {
    return this.prep<[], TokenRow>("SELECT * FROM tokens ORDER BY name, id").all().map(toInfo);
  }

  /** Revokes every active token of that name (and role, if given); returns how many. */
  revoke(name: string, now: number, role?: TokenRole): number {
    const res = role
      ? this.prep("UPDATE tokens SET revoked_at = ? WHERE name = ? AND role = ? AND revoked_at IS NULL").run(now, name, role)
      : this.prep("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL").run(now, name);
    if (res.changes === 0) throw new CollectorError("LASTSEEN_ERR_TOKEN_UNKNOWN", `no active token named "${name}"`);
    return res.changes;
  }

  /** Replaces the admin token (used at every collector start). */
  rotateAdmin(now: number): string {
    this.prep("UPDATE tokens SET revoked_at = ? WHERE role = 'admin' AND name = 'admin' AND revoked_at IS NULL").run(now);
    return this.add("admin", "admin", now);
  }
}
