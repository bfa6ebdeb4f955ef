import { readFileSync } from "node:fs";

/** The node flags a CLI asks for in its `#!/usr/bin/env -S node ...` line (what the installed binary runs with). */
export function shebangNodeFlags(file: string): string[] {
  const first = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!\S*env -S node (.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/) : [];
}
