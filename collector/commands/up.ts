// `lastseen up` (what `npm start` runs): on this machine, a collector with its embedded defaults
// (SQLite in the default data directory) and an agent for this machine connected to it.
// The agent is a separate process, started from the agent's own entry point; its token lives in
// its state directory (mode 0600), never on a command line.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCollectorConfig } from "../config.js";
import { startCollector } from "../app.js";
import { writeFileAtomic } from "../data-dir.js";
import { NAME_RE } from "../errors.js";
import { createLogger } from "../log.js";
import type { Store } from "../store/store.js";

export async function upCommand(flags: { data?: string; listen?: string }): Promise<void> {
  const config = loadCollectorConfig({ file: process.env.LASTSEEN_CONFIG, env: process.env, flags: { data: flags.data, listen: flags.listen } });
  const log = createLogger(config.log_level);
  const collector = await startCollector(config, { log });

  const name = localHostName();
  const stateDir = join(config.data, "local-agent");
  const tokenFile = join(stateDir, "token");
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    ensureLocalToken(name, tokenFile, collector.store);
  } catch (err) {
    await collector.stop();
    throw err;
  }


  const agentCli = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "agent", "cli.js");
  const wsUrl = collector.url.replace(/^http/, "ws");
  const agent = spawn(process.execPath, [...shebangNodeFlags(agentCli), agentCli, "run", "--collector", wsUrl, "--token-file", tokenFile, "--state", stateDir, "--heartbeat", "10s"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  agent.on("exit", (code, signal) => {
    if (!stopping) log.error({ code, signal }, "the local agent exited");
  });

  const next: [string, string][] = [
    ["npx lastseen hosts", "every host at a glance"],
    [`npx lastseen ip ${name}`, `the address "${name}" was last seen at`],
    [`npx lastseen host ${name}`, "everything about it: restarts needed, jobs, IP history"],
    ["npx lastseen token add NAME", "a token for another server's agent"],
  ];
  const w = Math.max(...next.map(([c]) => c.length));
  process.stdout.write(`
lastseen is running on this machine.
  collector    ${collector.url}   (data: ${config.data})
  local agent  host "${name}"   (state: ${stateDir})

Next, in another terminal:
${next.map(([c, d]) => `  ${c.padEnd(w)}   ${d}`).join("\n")}
and on another server: lastseen-agent run --collector ws://THIS-HOST:${collector.port} --token-file FILE

Ctrl-C stops both.
`);

  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      agent.kill("SIGTERM");
      const done = () => void collector.stop().then(resolve, resolve);
      if (agent.exitCode !== null) done();
      else agent.once("exit", done);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** The node flags an executable script asks for in its `#!/usr/bin/env -S node ...` line. */
function shebangNodeFlags(file: string): string[] {
  const first = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!\S*env -S node (.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/) : [];
}

function localHostName(): string {
  const h = hostname().split(".")[0]!.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
  return NAME_RE.test(h) ? h : "local";
}

/** The local agent's token file holds a valid token of this host (a new one replaces it otherwise). */
function ensureLocalToken(name: string, file: string, store: Store): void {
  const existing = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (existing && store.tokens.verify(existing, Date.now())?.role === "agent") return;
  const token = store.transaction(() => {
    const now = Date.now();
    store.hosts.ensure(name, now);
    if (store.tokens.list().some((t) => t.name === name && t.role === "agent" && t.revokedAt === null)) store.tokens.revoke(name, now, "agent");
    return store.tokens.add(name, "agent", now);
  });
  writeFileAtomic(file, token + "\n", 0o600);
}
