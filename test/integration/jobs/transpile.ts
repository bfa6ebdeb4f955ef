// Makes a TypeScript entry point runnable by plain `node` in a child process: transpiles it and
// every relative import it reaches (types stripped, no checking) into test/artifacts/, next to the
// project's node_modules so that package imports resolve. Plain .js files (proto/gen) are copied.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const IMPORT = /(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g;

/** Transpiles `entry` (a path relative to the project root) into `outDir`; returns the .js path. */
export function transpileTree(entry: string, outDir: string): string {
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const src = queue.pop()!;
    if (seen.has(src)) continue;
    seen.add(src);
    const rel = relative(ROOT, src);
    const out = join(outDir, rel.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(out), { recursive: true });
    const text = readFileSync(src, "utf8");
    if (src.endsWith(".js")) {
      copyFileSync(src, out);
    } else {
      const js = ts.transpileModule(text, {
        fileName: src,
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      }).outputText;
      writeFileSync(out, js);
    }
    for (const m of text.matchAll(IMPORT)) {
      const spec = resolve(dirname(src), m[1]!);
      const asTs = spec.replace(/\.js$/, ".ts");
      if (existsSync(asTs)) queue.push(asTs);
      else if (existsSync(spec)) queue.push(spec);
    }
  }
  return join(outDir, entry.replace(/\.ts$/, ".js"));
}
