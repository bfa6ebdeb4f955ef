// docs/configuration.md's reference blocks: the commented config files `init` writes, with the
// defaults of a root install. scripts/gen-config-doc.mjs writes them into the page and
// test/unit/docs/configuration.test.ts fails when the page and the code differ.
import { agentConfigTemplate } from "../../agent/init/config-template.js";
import { collectorConfigTemplate } from "../../collector/init/config-template.js";

export const DOC_BLOCKS: Record<string, () => string> = {
  "collector-config": () => collectorConfigTemplate({ data: "/var/lib/lastseen" }),
  "agent-config": () => agentConfigTemplate({ state: "/var/lib/lastseen-agent" }),
};

/** Replaces each marked block of the page with its generated content. */
export function renderDocBlocks(page: string): string {
  let out = page;
  for (const [name, gen] of Object.entries(DOC_BLOCKS)) {
    const re = new RegExp(`(<!-- ${name} -->\\n)[\\s\\S]*?(<!-- /${name} -->)`);
    if (!re.test(out)) throw new Error(`docs/configuration.md has no <!-- ${name} --> block`);
    out = out.replace(re, (_m, open: string, close: string) => `${open}\`\`\`toml\n${gen().trimEnd()}\n\`\`\`\n${close}`);
  }
  return out;
}
