// Secrets of the notification channels (SMTP password, Matrix access token, webhook HMAC key,
// extra header / environment values). Each can come from a file (`X_file`, read once and
// trimmed), an environment variable (`X_env`, its name) or inline (`X`, allowed but discouraged:
// config files end up in backups and bug reports). Error messages name the key, the file or the
// variable, never the value.
import { readFileSync } from "node:fs";
import { NotifyError } from "./notifier.js";

/** Where resolution reads from; tests pass their own environment and file reader. */
export interface SecretSources {
  /** Environment (normally process.env). */
  readonly env: NodeJS.ProcessEnv;
  /** Reads a whole file as UTF-8 (normally fs.readFileSync). */
  readonly readFile: (path: string) => string;
}

export const defaultSecretSources: SecretSources = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
};

/** The three raw keys of one secret as they appear in a parsed config table. */
export interface SecretKeys {
  readonly inline?: string | undefined;
  readonly file?: string | undefined;
  readonly env?: string | undefined;
}

export interface ResolvedSecret {
  readonly value: string;
  /** "inline", "file" or "env": the caller warns about inline secrets. */
  readonly source: "inline" | "file" | "env";
}

/**
 * Resolves one secret. `where` is the table ("notify.matrix[0]"), `base` the key without suffix
 * ("access_token"). Returns undefined when none of the three keys is set.
 */
export function resolveSecret(keys: SecretKeys, where: string, base: string, sources: SecretSources): ResolvedSecret | undefined {
  const set = [keys.inline !== undefined, keys.file !== undefined, keys.env !== undefined].filter(Boolean).length;
  if (set > 1) {
    throw configError(`${where}: set only one of ${base}, ${base}_file and ${base}_env`);
  }
  if (keys.file !== undefined) {
    return { value: readSecretFile(keys.file, `${where}.${base}_file`, sources), source: "file" };
  }
  if (keys.env !== undefined) {
    return { value: readSecretEnv(keys.env, `${where}.${base}_env`, sources), source: "env" };
  }
  if (keys.inline !== undefined) {
    if (keys.inline.length === 0) throw configError(`${where}.${base}: empty value`);
    return { value: keys.inline, source: "inline" };
  }
  return undefined;
}

/** Like resolveSecret, but one of the keys must be set. */
export function requireSecret(keys: SecretKeys, where: string, base: string, sources: SecretSources): ResolvedSecret {
  const s = resolveSecret(keys, where, base, sources);
  if (!s) throw configError(`${where}: missing ${base}_file (recommended), ${base}_env or ${base}`);
  return s;
}

/** A value that is either literal text or a reference: `{ file = "..." }` / `{ env = "..." }`. */
export type ValueRef = string | { readonly file: string } | { readonly env: string };

/** Resolves a header or environment value of the `headers` / `env` tables. */
export function resolveValueRef(ref: ValueRef, key: string, sources: SecretSources): string {
  if (typeof ref === "string") return ref;
  if ("file" in ref) return readSecretFile(ref.file, `${key}.file`, sources);
  return readSecretEnv(ref.env, `${key}.env`, sources);
}

function readSecretFile(path: string, key: string, sources: SecretSources): string {
  let text: string;
  try {
    text = sources.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw configError(`${key}: cannot read the secret file ${path} (${code})`, err);
  }
  const value = text.trim();
  if (value.length === 0) throw configError(`${key}: the secret file ${path} is empty`);
  return value;
}

function readSecretEnv(name: string, key: string, sources: SecretSources): string {
  const value = sources.env[name]?.trim();
  if (value === undefined || value.length === 0) {
    throw configError(`${key}: the environment variable ${name} is not set or empty`);
  }
  return value;
}

function configError(message: string, cause?: unknown): NotifyError {
  return new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", message, false, undefined, cause === undefined ? undefined : { cause });
}
