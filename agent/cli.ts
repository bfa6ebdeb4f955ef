#!/usr/bin/env node
// `lastseen-agent`: the agent daemon and its one-shot commands. Subcommands load lazily, so a
// one-shot command starts fast.
import { Command } from "commander";
import { runAction } from "./commands/exit.js";
import { VERSION } from "./version.js";

const program = new Command("lastseen-agent")
  .description("lastseen agent: heartbeat, stale libraries, job results and public IP, sent to your collector")
  .version(VERSION)
  .showHelpAfterError();

program.command("run")
  .description("run the agent in the foreground until SIGTERM")
  .option("--config <file>", "TOML config file, env LASTSEEN_AGENT_CONFIG")
  .option("--collector <url>", "collector URL, ws://HOST:PORT or wss://HOST:PORT, env LASTSEEN_COLLECTOR")
  .option("--token <token>", "this host's token (prefer LASTSEEN_TOKEN or --token-file: argv is visible to other users)")
  .option("--token-file <file>", "file holding the token, env LASTSEEN_TOKEN_FILE")
  .option("--state <dir>", "state directory (outbox, spool), env LASTSEEN_STATE")
  .option("--heartbeat <duration>", "heartbeat interval, e.g. 30s, env LASTSEEN_HEARTBEAT")
  .option("--ca-file <file>", "CA certificate (PEM) for a wss:// collector with a private CA")
  .option("--log-level <level>", "fatal|error|warn|info|debug|trace")
  .action((o) => runAction(async () => (await import("./commands/run.js")).runCommand(o)));

program.command("trigger <probe>")
  .description("ask the running agent to run a probe now (scan, ip); used by package-manager hooks")
  .option("--state <dir>", "state directory of the running agent")
  .action((probe, o) => runAction(async () => (await import("./commands/trigger.js")).triggerCommand(probe, o, process.stdout)));

program.command("status")
  .description("is the agent running, connected, and how many events wait")
  .option("--state <dir>", "state directory of the running agent")
  .option("--json", "JSON output")
  .action((o) => runAction(async () => (await import("./commands/trigger.js")).statusCommand(o, process.stdout)));

await program.parseAsync(process.argv);
