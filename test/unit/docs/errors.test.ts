// Every error code in the code is documented in docs/errors.md, and the page lists no code that
// no longer exists.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const CODE = /LASTSEEN_ERR_[A-Z0-9_]+/g;

function codesIn(dir: string, out = new Set<string>()): Set<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) codesIn(p, out);
    else if (name.endsWith(".ts")) for (const m of readFileSync(p, "utf8").matchAll(CODE)) out.add(m[0]);
  }
  return out;
}

it("docs/errors.md documents exactly the error codes the code uses", () => {
  const used = new Set<string>();
  for (const d of ["agent", "collector", "proto", join("test", "helpers")]) codesIn(join(ROOT, d), used);
  const documented = new Set([...readFileSync(join(ROOT, "docs", "errors.md"), "utf8").matchAll(CODE)].map((m) => m[0]));
  expect([...used].filter((c) => !documented.has(c)).sort()).toEqual([]);
  expect([...documented].filter((c) => !used.has(c)).sort()).toEqual([]);
});
