// The checkout's root directory, found from this file (works from test/ and from dist/test/).

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The nearest parent of this file holding the project's package.json (name "lastseen"). */
export function projectRoot(): string {
  if (root !== undefined) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "lastseen") {
      root = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`projectRoot: no package.json named 'lastseen' above ${start}`);
  }
}
