import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function findPackageVersion(): string {
  for (const p of ["../package.json", "../../package.json"]) {
    try {
      return (require(p) as { version: string }).version;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  return "0.0.0";
}

/** lastseen's version (agent and collector are released together), from package.json (source tree or dist/). */
export const VERSION = findPackageVersion();
