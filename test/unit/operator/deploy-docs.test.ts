// The deploy kit and the operator views are documented: every file in deploy/ is named in
// docs/deploy.md (hooks and job examples also on their own pages), every metric family and every
// [status_page] key in docs/status-page.md.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { FAMILIES } from "../../../collector/http/metrics/families.js";
import { collectorSchema } from "../../../collector/config.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((n) => {
    const p = join(dir, n);
    return statSync(join(ROOT, p)).isDirectory() ? files(p) : [p];
  });
}

describe("docs/deploy.md", () => {
  const doc = read("docs/deploy.md");
  it.each(files("deploy").filter((f) => !f.startsWith("deploy/hooks/") && !f.startsWith("deploy/jobs/")))("names %s", (f) => {
    expect(doc).toContain(relative("deploy", f));
  });
  it("points to the hooks and job examples, which are documented on their own pages", () => {
    expect(doc).toContain("[hooks/](../deploy/hooks/)");
    expect(doc).toContain("[jobs/](../deploy/jobs/)");
    const hooks = read("deploy/hooks/README.md");
    for (const f of files("deploy/hooks").filter((x) => !x.endsWith("README.md"))) expect(hooks, f).toContain(relative("deploy/hooks", f));
    // docs/jobs.md explains them; each file is named there or at least in docs/deploy.md's table.
    const jobs = read("docs/jobs.md") + doc;
    for (const f of files("deploy/jobs")) expect(jobs, f).toContain(relative("deploy/jobs", f));
  });
});

describe("docs/status-page.md", () => {
  const doc = read("docs/status-page.md");
  it.each(FAMILIES.map((f) => f.name))("documents the metric %s", (name) => {
    expect(doc).toContain(name);
  });
  it("documents every [status_page] key", () => {
    const shape = (collectorSchema.shape.status_page as unknown as { _zod: { def: { innerType: { shape: Record<string, unknown> } } } })._zod.def.innerType.shape;
    for (const key of Object.keys(shape)) expect(doc).toMatch(new RegExp(`^${key} = `, "m"));
  });
  it("names the error code of a missing prom-client", () => {
    expect(doc).toContain("LASTSEEN_ERR_METRICS_UNAVAILABLE");
  });
});
