// User names from ROOT/etc/passwd (so fixtures carry their own users). We never call getpwuid:
// NSS modules (LDAP, sssd) may block, and the agent must stay cheap.

export type UserNames = (uid: number) => string;

export function parsePasswd(text: string | null): Map<number, string> {
  const users = new Map<number, string>();
  if (!text) return users;
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.startsWith("#")) continue;
    const parts = line.split(":");
    const name = parts[0];
    const uid = Number(parts[2]);
    if (name && parts.length >= 3 && Number.isSafeInteger(uid) && !users.has(uid)) users.set(uid, name);
  }
  return users;
}

/** A lookup that falls back to the uid as a string for users not in the file. */
export function userNames(users: Map<number, string>): UserNames {
  return (uid) => users.get(uid) ?? String(uid);
}
