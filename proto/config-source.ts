// How lastseen reads configuration, the same way on both ends: a TOML file (`--config FILE`),
// then `LASTSEEN_*` environment variables, then command-line flags, each overriding the one
// before; the merged result is validated once against a zod schema and frozen. Errors name the
// file, the key and the reason (or the variable / flag the bad value came from).
//
// This is a convention agent and collector must agree on (the docs describe it once), which is
// why it lives in proto/, the only code the two share.
import { readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "LASTSEEN_ERR_CONFIG";
  constructor(message: string, readonly where: string, readonly key?: string) {
    super(`${where}${key ? `: key "${key}"` : ""}: ${message}`);
  }
}

type Plain = Record<string, unknown>;

export interface ConfigSources {
  /** Path of the TOML file, if any. */
  file?: string;
  /** Environment (normally process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by snake_case dotted key ("alerts.silent_after"). */
  flags?: Record<string, unknown>;
  /**
   * Environment variables read, by variable name -> dotted key, e.g.
   * { LASTSEEN_LISTEN: "listen", LASTSEEN_ALERTS_SILENT_AFTER: "alerts.silent_after" }.
   */
  envKeys?: Record<string, string>;
}

/** Where each top-level value came from, for error messages. */
type Origin = Map<string, string>;

export function loadConfig<S extends z.ZodType>(schema: S, sources: ConfigSources): Readonly<z.output<S>> {
  const origin: Origin = new Map();
  const merged: Plain = {};
  if (sources.file) {
    const fromFile = readToml(sources.file);
    deepMerge(merged, fromFile, "", origin, sources.file);
  }
  for (const [name, key] of Object.entries(sources.envKeys ?? {})) {
    const raw = sources.env?.[name];
    if (raw === undefined || raw === "") continue;
    setPath(merged, key, coerceEnv(raw));
    origin.set(key, `environment variable ${name}`);
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    setPath(merged, key, value);
    origin.set(key, `command-line flag --${key.replace(/[._]/g, "-")}`);
  }
  const result = schema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String);
    let key = path.join(".");
    if (issue.code === "unrecognized_keys") key = [...path, ...issue.keys].join(".");
    const where = whereOf(key, origin) ?? sources.file ?? "configuration";
    const message = issue.code === "unrecognized_keys" ? `unknown key (check the spelling; see docs/configuration.md)` : issue.message;
    throw new ConfigError(message, where, key || undefined);
  }
  return deepFreeze(result.data);
}

function whereOf(key: string, origin: Origin): string | undefined {
  for (let k = key; k; k = k.includes(".") ? k.slice(0, k.lastIndexOf(".")) : "") {
    const o = origin.get(k);
    if (o) return o;
  }
  return undefined;
}

export function readToml(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read the config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, file);
  }
  try {
    return parseToml(text) as Plain;
  } catch (err) {
    if (err instanceof TomlError) throw new ConfigError(`invalid TOML at line ${err.line}, column ${err.column}: ${err.message.split("\n")[0]}`, file);
    throw err;
  }
}

/** Environment values are text; lists may be given as JSON ('["10.0.0.1/32"]'). */
function coerceEnv(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw.startsWith("[")) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw; // not JSON after all: keep the text, the schema will say what is wrong
    }
  }
  return raw;
}

function setPath(target: Plain, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== "object" || cur[p] === null || Array.isArray(cur[p])) cur[p] = {};
    cur = cur[p] as Plain;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deepMerge(target: Plain, source: Plain, prefix: string, origin: Origin, where: string): void {
  for (const [k, v] of Object.entries(source)) {
    const key = prefix ? `${prefix}.${k}` : k;
    origin.set(key, where);
    if (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) {
      const sub = (typeof target[k] === "object" && target[k] !== null ? target[k] : {}) as Plain;
      target[k] = sub;
      deepMerge(sub, v as Plain, key, origin, where);
    } else {
      target[k] = v;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
