// Generates static protobuf code and its TypeScript declarations from proto/lastseen/v1/*.proto
// with protobufjs-cli. Output goes to proto/gen/ (never edited by hand) and is copied next to the
// compiled code in dist/proto/gen/.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "proto", "lastseen", "v1");
const genDir = join(root, "proto", "gen");
const distDir = join(root, "dist", "proto", "gen");
const pbjs = join(root, "node_modules", ".bin", "pbjs");

const files = readdirSync(srcDir).filter((f) => f.endsWith(".proto")).sort().map((f) => join(srcDir, f));
mkdirSync(genDir, { recursive: true });
const out = join(genDir, "lastseen.js");
execFileSync(
  pbjs,
  ["-t", "static-module", "-w", "esm", "--force-number", "--no-delimited", "--no-typeurl", "--dts",
    "-p", join(root, "proto"), "-o", out, ...files],
  { stdio: "inherit" },
);
// Node's ESM resolver needs the file extension: protobufjs has no "exports" map.
const js = readFileSync(out, "utf8").replace(/from "protobufjs\/minimal"/g, 'from "protobufjs/minimal.js"');
writeFileSync(out, js);
mkdirSync(distDir, { recursive: true });
for (const f of ["lastseen.js", "lastseen.d.ts"]) copyFileSync(join(genDir, f), join(distDir, f));
