// `lastseen token add|list|revoke`: works on the data directory's database directly, so tokens
// can be created before the collector first starts.
import { loadCollectorConfig } from "../config.js";
import { dataFiles, ensureDataDir } from "../data-dir.js";
import { Store } from "../store/store.js";
import type { TokenRole } from "../store/tokens.js";
import { table } from "./table.js";

interface DataFlags {
  data?: string;
  config?: string;
}

function openStore(flags: DataFlags): Store {
  const config = loadCollectorConfig({ file: flags.config ?? process.env.LASTSEEN_CONFIG, env: process.env, flags: { data: flags.data } });
  ensureDataDir(config.data);
  return Store.open(dataFiles(config.data).db);
}

export function tokenAdd(name: string, flags: DataFlags & { role?: string; additional?: boolean }, out: NodeJS.WritableStream): void {
  const store = openStore(flags);
  try {
    const role = (flags.role ?? "agent") as TokenRole;
    const now = Date.now();
    const token = store.transaction(() => {
      if (role === "agent") store.hosts.ensure(name, now);
      return store.tokens.add(name, role, now, { additional: flags.additional });
    });
    out.write(token + "\n");
  } finally {
    store.close();
  }
}

export function tokenList(flags: DataFlags & { json?: boolean }, out: NodeJS.WritableStream): void {
  const store = openStore(flags);
  try {
    const tokens = store.tokens.list();
    if (flags.json) return void out.write(JSON.stringify(tokens.map((t) => ({ ...t, createdAt: iso(t.createdAt), revokedAt: iso(t.revokedAt), lastUsedAt: iso(t.lastUsedAt) })), null, 2) + "\n");
    out.write(table(["NAME", "ROLE", "TOKEN", "CREATED", "LAST USED", "STATUS"], tokens.map((t) => [
      t.name, t.role, t.hint, iso(t.createdAt), iso(t.lastUsedAt), t.revokedAt ? `revoked ${iso(t.revokedAt)}` : "active",
    ])));
  } finally {
    store.close();
  }
}

export function tokenRevoke(name: string, flags: DataFlags, out: NodeJS.WritableStream): void {
  const store = openStore(flags);
  try {
    const n = store.tokens.revoke(name, Date.now());
    out.write(`revoked ${n} token${n === 1 ? "" : "s"} of ${name}; a connected agent is disconnected within a minute\n`);
  } finally {
    store.close();
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
