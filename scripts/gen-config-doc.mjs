// Rewrites the generated reference blocks of docs/configuration.md from the code (run after
// `npm run build`): `node scripts/gen-config-doc.mjs`. test/unit/docs/configuration.test.ts fails
// when they differ.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { renderDocBlocks } = await import(join(root, "dist", "test", "helpers", "config-doc.js"));
const file = join(root, "docs", "configuration.md");
writeFileSync(file, renderDocBlocks(readFileSync(file, "utf8")));
