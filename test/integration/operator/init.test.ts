// `lastseen init collector` and `lastseen-agent init`: the real CLIs write a commented config file
// that the real schemas accept, whose active values are exactly the defaults, that names every key
// of the schema, whose commented examples are valid (alone and together), and that is never
// overwritten without --force.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { agentSchema, loadAgentConfig } from "../../../agent/config.js";
import { collectorSchema, loadCollectorConfig } from "../../../collector/config.js";
import { AGENT_CLI, COLLECTOR_CLI, run, tempDir } from "../../helpers/procs.js";

const dir = tempDir("lastseen-init-");
afterAll(() => dir.remove());

/** Every key path of a zod object schema ("limits.max_payload", "notify.email.smtp", ...). */
function keyPaths(schema: z.ZodType, prefix = ""): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case "object":
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
        const p = prefix ? `${prefix}.${k}` : k;
        const sub = keyPaths(v, p);
        return sub.length ? sub : [p];
      });
    case "default": case "prefault": case "optional": case "nullable": case "readonly": case "catch": case "nonoptional":
      return keyPaths(def.innerType as z.ZodType, prefix);
    case "pipe":
      return keyPaths(def.in as z.ZodType, prefix);
    case "array":
      return keyPaths(def.element as z.ZodType, prefix);
    default:
      return []; // a leaf: string, number, boolean, union, record...
  }
}

const HEADER = /^\[\[?([A-Za-z0-9_.]+)\]\]?\s*$/;
const EXAMPLE = /^# (\[\[?[A-Za-z0-9_.]+\]\]?\s*$|"?[A-Za-z0-9_.-]+"?\s*=)/;

/** The template's text per table, commented tables included ("" is the top level). */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>([["", ""]]);
  let current = "";
  for (const line of text.split("\n")) {
    const m = HEADER.exec(line.replace(/^# /, ""));
    if (m && (line.startsWith("[") || EXAMPLE.test(line))) {
      current = m[1]!;
      if (!out.has(current)) out.set(current, "");
      continue;
    }
    out.set(current, out.get(current)! + line + "\n");
  }
  return out;
}

function missingKeys(schema: z.ZodType, text: string): string[] {
  const s = sections(text);
  return keyPaths(schema).filter((path) => {
    if (s.has(path)) return false; // a table of its own, e.g. [alerts.repeat_rules]
    const dot = path.lastIndexOf(".");
    const section = dot < 0 ? "" : path.slice(0, dot);
    const key = path.slice(dot + 1);
    const body = s.get(section) ?? "";
    return !new RegExp(`(^|[\\s,{:#])"?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?\\s*=`, "m").test(body);
  });
}

/** Every "# key = value" and "# [table]" example made active. */
const uncommentExamples = (text: string): string => text.split("\n").map((l) => (EXAMPLE.test(l) ? l.slice(2) : l)).join("\n");

const cases = [
  { what: "lastseen init collector", cli: COLLECTOR_CLI, args: ["init", "collector"], schema: collectorSchema as z.ZodType, load: (file?: string) => loadCollectorConfig({ file, env: {} }) },
  { what: "lastseen-agent init", cli: AGENT_CLI, args: ["init"], schema: agentSchema as z.ZodType, load: (file?: string) => loadAgentConfig({ file, env: {} }) },
] as const;

describe.each(cases)("$what", ({ what, cli, args, schema, load }) => {
  const file = join(dir.path, `${args.join("-")}`, "conf.d", "config.toml");

  it("writes the file (creating its directory), mode 0644, and prints the next steps", () => {
    const r = run(cli, [...args, "--path", file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${file}`);
    expect(r.stdout).toMatch(/next steps:\n/);
    expect(r.stdout).toContain(`--config ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it("is accepted by the real schema, and its active values are exactly the defaults", () => {
    expect(load(file)).toEqual(load(undefined));
  });

  it("names every key of the schema", () => {
    const text = readFileSync(file, "utf8");
    expect(keyPaths(schema).length).toBeGreaterThan(20);
    expect(missingKeys(schema, text)).toEqual([]);
  });

  it("has commented examples that are valid, all of them at once", () => {
    const text = uncommentExamples(readFileSync(file, "utf8"));
    const examples = readFileSync(file, "utf8").split("\n").filter((l) => EXAMPLE.test(l));
    expect(examples.length).toBeGreaterThan(5);
    const parsed = schema.safeParse(parseToml(text));
    expect(parsed.success ? "valid" : JSON.stringify(parsed.error.issues, null, 1)).toBe("valid");
    // ... and made the file different (the check above is not vacuous).
    expect(parseToml(text)).not.toEqual(parseToml(readFileSync(file, "utf8")));
  });

  it("refuses to overwrite an existing file without --force, and replaces it with --force", () => {
    writeFileSync(file, "# mine\n");
    const r = run(cli, [...args, "--path", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file} already exists`);
    expect(r.stderr).toContain("[LASTSEEN_ERR_INIT_EXISTS]");
    expect(readFileSync(file, "utf8")).toBe("# mine\n");
    const f = run(cli, [...args, "--path", file, "--force"]);
    expect(f.code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(what === "lastseen-agent init" ? "[stale_libs]" : "[status_page]");
  });

  it("prints the file on stdout with --path -", () => {
    const r = run(cli, [...args, "--path", "-"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(file, "utf8"));
  });
});

describe("the test's own checks", () => {
  it("notice a key the template lacks", () => {
    const text = readFileSync(join(dir.path, "init-collector", "conf.d", "config.toml"), "utf8");
    expect(missingKeys(collectorSchema, text.replace(/^hello_timeout = .*$/m, ""))).toEqual(["limits.hello_timeout"]);
    expect(missingKeys(collectorSchema, text.replace(/^# max_runtime = .*$/m, ""))).toEqual(["jobs.max_runtime"]);
  });
});

describe("lastseen-agent init --collector --token-file", () => {
  it("fills them in, and the agent's config loader reads them back", () => {
    const file = join(dir.path, "filled.toml");
    const r = run(AGENT_CLI, ["init", "--path", file, "--collector", "wss://lastseen.example.org", "--token-file", "/etc/lastseen-agent/token"]);
    expect(r.code).toBe(0);
    const c = loadAgentConfig({ file, env: {} });
    expect(c.collector).toBe("wss://lastseen.example.org");
    expect(c.token_file).toBe("/etc/lastseen-agent/token");
  });
});
