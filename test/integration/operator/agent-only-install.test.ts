// An agent-only install (`npm install --omit=optional`): better-sqlite3, nodemailer and prom-client
// are optionalDependencies, and the agent must work without them. The test builds the tree such an
// install leaves, from npm's own answer (`npm ls --omit=optional --omit=dev`): dist/, package.json
// and only those packages in node_modules. The agent runs from it (scan, job, daemon against a real
// collector); the collector started from it says clearly what is missing. A second tree keeps
// better-sqlite3 but lacks prom-client and nodemailer: the collector serves, /metrics explains.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, addToken, cliJson, run, start, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";

const OPTIONAL = ["better-sqlite3", "nodemailer", "prom-client"];
const dir = tempDir("lastseen-agent-only-");
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill();
  dir.remove();
});

/** Top-level package directories (node_modules/x, node_modules/@scope/x) npm would install. */
function npmTree(omit: string[]): string[] {
  const r = spawnSync("npm", ["ls", "--parseable", "--all", ...omit.map((o) => `--omit=${o}`)], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0 && !r.stdout) throw new Error(`npm ls failed: ${r.stderr}`);
  return r.stdout.split("\n").filter(Boolean).map((p) => p.slice(ROOT.length + 1))
    .filter((p) => /^node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(p));
}

/** dist/ and package.json copied, the given packages linked: a tree like an npm install leaves. */
function installTree(name: string, packages: string[]): string {
  const root = join(dir.path, name);
  mkdirSync(join(root, "node_modules"), { recursive: true });
  cpSync(join(ROOT, "dist"), join(root, "dist"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(root, "package.json"));
  for (const p of packages) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    symlinkSync(join(ROOT, p), join(root, p), "dir");
  }
  return root;
}

const canLoad = (tree: string, pkg: string): boolean =>
  spawnSync(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(pkg)})`], { cwd: join(tree, "dist"), encoding: "utf8" }).status === 0;

describe("agent-only install (npm install --omit=optional)", () => {
  let tree = "";
  let agentCli = "";
  let collector: CollectorProc;

  beforeAll(async () => {
    const packages = npmTree(["optional", "dev"]);
    expect(packages.length).toBeGreaterThan(10);
    tree = installTree("agent-only", packages);
    agentCli = join(tree, "dist", "agent", "cli.js");
    collector = await startCollector(join(dir.path, "collector"));
    procs.push(collector);
  }, 120_000);

  it("npm leaves out exactly the optional packages (and they really cannot be loaded from the tree)", () => {
    const packages = npmTree(["optional", "dev"]).map((p) => p.replace(/^node_modules\//, ""));
    for (const o of OPTIONAL) {
      expect(packages).not.toContain(o);
      expect(canLoad(tree, o), o).toBe(false);
    }
    expect(packages).toEqual(expect.arrayContaining(["ws", "protobufjs", "pino", "commander", "zod", "smol-toml"]));
    expect(canLoad(tree, "ws")).toBe(true);
  });

  it("the agent's one-shot commands work: --version, scan --json, init, job run", () => {
    expect(run(agentCli, ["--version"]).code).toBe(0);
    const scan = run(agentCli, ["scan", "--json"]);
    expect(scan.stderr).toBe("");
    expect(scan.code).toBe(0);
    expect(JSON.parse(scan.stdout)).toHaveProperty("kernel.running");
    expect(run(agentCli, ["init", "--path", join(dir.path, "agent.toml")]).code).toBe(0);
    const job = run(agentCli, ["job", "run", "from-tree", "--state", join(dir.path, "agent-state"), "--", "true"]);
    expect(job.code).toBe(0);
  });

  it("the agent daemon connects, and its host and job reach a real collector", async () => {
    const token = addToken(collector.data, "agent-only");
    const config = join(dir.path, "agent-run.toml");
    writeFileSync(config, "[public_ip]\nenabled = false\n");
    const agent = start(agentCli, ["run", "--collector", collector.url.replace(/^http/, "ws"), "--state", join(dir.path, "agent-state"), "--heartbeat", "1s", "--config", config], { LASTSEEN_TOKEN: token });
    procs.push(agent);
    await waitFor("the agent-only host up", () => cliJson<{ name: string; state: string }[]>(["hosts", "--data", collector.data]).some((h) => h.name === "agent-only" && h.state === "up"));
    await waitFor("its job", () => cliJson<{ host: string; job: string; lastResult: string }[]>(["jobs", "--data", collector.data]).some((j) => j.host === "agent-only" && j.job === "from-tree" && j.lastResult === "ok"));
    expect(agent.output()).not.toMatch(/better-sqlite3|nodemailer|prom-client|ERR_MODULE_NOT_FOUND/);
  });

  it("the collector from that tree refuses to start, naming the missing package", () => {
    const r = run(join(tree, "dist", "collector", "cli.js"), ["serve", "--listen", "127.0.0.1:0", "--data", join(dir.path, "no-sqlite")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/better-sqlite3/);
  });
});

describe("collector installed without prom-client (and nodemailer)", () => {
  it("serves the status page; /metrics answers 503 saying what to install", async () => {
    const packages = npmTree(["dev"]).filter((p) => p !== "node_modules/prom-client" && p !== "node_modules/nodemailer");
    const tree = installTree("no-metrics", packages);
    expect(canLoad(tree, "prom-client")).toBe(false);
    expect(canLoad(tree, "better-sqlite3")).toBe(true);
    const data = join(dir.path, "no-metrics-data");
    const c = start(join(tree, "dist", "collector", "cli.js"), ["serve", "--listen", "127.0.0.1:0", "--data", data]);
    procs.push(c);
    const url = await waitFor("api.json", () => {
      if (c.child.exitCode !== null) throw new Error(`collector exited: ${c.output()}`);
      const r = spawnSync("cat", [join(data, "api.json")], { encoding: "utf8" });
      return r.status === 0 ? (JSON.parse(r.stdout) as { url: string }).url : null;
    });
    expect((await fetch(url + "/")).status).toBe(200);
    const m = await fetch(url + "/metrics");
    expect(m.status).toBe(503);
    expect(await m.text()).toMatch(/^lastseen: \/metrics needs the optional package prom-client, which is not installed: run `npm install prom-client`.*\[LASTSEEN_ERR_METRICS_UNAVAILABLE\]\n$/);
    await waitFor("the warning in the log", () => /needs the optional package prom-client/.test(c.output()));
  });
});
