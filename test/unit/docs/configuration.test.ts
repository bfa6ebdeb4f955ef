// docs/configuration.md must describe the configuration the code reads: its reference blocks are
// what `init` generates, and every environment variable is listed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AGENT_ENV } from "../../../agent/config.js";
import { COLLECTOR_ENV } from "../../../collector/config.js";
import { renderDocBlocks } from "../../helpers/config-doc.js";

const page = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "configuration.md"), "utf8");

describe("docs/configuration.md", () => {
  it("holds the generated reference blocks (regenerate: npm run build && node scripts/gen-config-doc.mjs)", () => {
    expect(page).toBe(renderDocBlocks(page));
  });

  it("lists every environment variable of both programs", () => {
    for (const name of [...Object.keys(COLLECTOR_ENV), ...Object.keys(AGENT_ENV)]) expect(page).toContain(`\`${name}\``);
  });
});
